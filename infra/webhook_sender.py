"""One webhook delivery attempt as the Standard Webhooks specification says: a signed POST.

Signing is the `standardwebhooks` package's. The URL is checked again before each attempt and
the connection goes to the address that passed (see `infra.public_addresses`); redirects are not
followed, the answer is read up to a small limit and the whole attempt has one deadline.
"""

import asyncio
import base64
import json
import math
import secrets
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from infra.public_addresses import Resolver, UnsafeUrl, check_endpoint_url, resolve_host

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "RetailPerformerAI-Webhooks/1"
RESPONSE_BODY_LIMIT = 4096
_ERROR_TEXT_LIMIT = 500


def generate_secret() -> str:
    """A new signing secret: `whsec_` and 32 random bytes in base64, as the specification says."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """What one attempt gave: `delivered` is a 2xx answer within the timeout."""

    delivered: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str
    response_truncated: bool


def _unix_seconds(timestamp: datetime) -> int:
    # As `Webhook.sign` reads it: a naive datetime (as motor returns them) is UTC.
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    return math.floor(timestamp.timestamp())


def signature_header(
    *, event_id: str, timestamp: datetime, body: bytes, signing_secrets: Sequence[str]
) -> str:
    """The `webhook-signature` value: one `v1,…` signature per secret, space-separated (two
    while a rotated secret still signs beside the new one)."""
    if not 1 <= len(signing_secrets) <= 2:
        raise ValueError("one or two signing secrets are expected")
    return " ".join(Webhook(secret).sign(event_id, timestamp, body) for secret in signing_secrets)


def _body_bytes(body: bytes | Mapping[str, Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:_ERROR_TEXT_LIMIT]


def _status_error(status_code: int) -> str | None:
    if 200 <= status_code < 300:
        return None
    if 300 <= status_code < 400:
        return f"HTTP {status_code}: redirects are not followed"
    return f"HTTP {status_code}"


class WebhookSender:
    """Sends delivery attempts; built once per process (it holds the TLS context)."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        allow_private: bool,
        ssl_context: ssl.SSLContext | None = None,
        resolve: Resolver = resolve_host,
        user_agent: str = USER_AGENT,
        response_body_limit: int = RESPONSE_BODY_LIMIT,
    ) -> None:
        self._timeout = timeout_seconds
        self._allow_private = allow_private
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        self._resolve = resolve
        self._user_agent = user_agent
        self._body_limit = response_body_limit

    async def send(
        self,
        *,
        url: str,
        event_id: str,
        body: bytes | Mapping[str, Any],
        timestamp: datetime,
        signing_secrets: Sequence[str],
    ) -> DeliveryAttempt:
        """POST `body` to `url`, signed with each of `signing_secrets`. `event_id` is the
        `webhook-id` (the same on every retry, so receivers drop duplicates); `timestamp` is the
        attempt's time, not the event's: receivers refuse one more than 5 minutes old."""
        payload = _body_bytes(body)
        headers = {
            "webhook-id": event_id,
            "webhook-timestamp": str(_unix_seconds(timestamp)),
            "webhook-signature": signature_header(
                event_id=event_id,
                timestamp=timestamp,
                body=payload,
                signing_secrets=signing_secrets,
            ),
            "content-type": "application/json",
            "user-agent": self._user_agent,
            # The answer is read raw, so a compressed one cannot expand past the limit.
            "accept-encoding": "identity",
        }
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        received = b""
        truncated = False
        try:
            async with asyncio.timeout(self._timeout):
                status_code, received, truncated = await self._post(url, headers, payload)
            error = _status_error(status_code)
        except UnsafeUrl as refused:
            error = f"refused: {refused}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"timed out after {self._timeout:g} s"
        except (httpx.HTTPError, OSError) as failure:
            error = _error_text(failure)
        return DeliveryAttempt(
            delivered=error is None,
            status_code=status_code,
            duration_ms=round((time.perf_counter() - started) * 1000),
            error=error,
            response_body=received.decode("utf-8", errors="replace"),
            response_truncated=truncated,
        )

    async def _post(
        self, url: str, headers: dict[str, str], payload: bytes
    ) -> tuple[int, bytes, bool]:
        checked = await check_endpoint_url(
            url, allow_private=self._allow_private, resolve=self._resolve
        )
        target = checked.url
        extensions: dict[str, Any] = {}
        if checked.by_name:
            # Connect to the checked address, not to a second DNS answer; the name still goes
            # in the Host header and in TLS (SNI and the certificate's check).
            host_header = target.raw_host.decode("ascii")
            if target.port is not None:
                host_header = f"{host_header}:{target.port}"
            headers = {**headers, "host": host_header}
            if target.scheme == "https":
                extensions["sni_hostname"] = target.raw_host.decode("ascii")
            target = target.copy_with(host=str(checked.addresses[0]))
        transport = httpx.AsyncHTTPTransport(verify=self._ssl_context)
        async with (
            # One client per attempt: a pooled connection, verified for one host name, must
            # not carry another name's delivery to the same address. Given a transport, httpx
            # takes no proxy from the environment (one would connect past the check).
            httpx.AsyncClient(
                transport=transport, timeout=self._timeout, follow_redirects=False
            ) as client,
            client.stream(
                "POST", target, content=payload, headers=headers, extensions=extensions
            ) as response,
        ):
            received = bytearray()
            async for chunk in response.aiter_raw():
                received += chunk
                if len(received) > self._body_limit:
                    break
            truncated = len(received) > self._body_limit
            return response.status_code, bytes(received[: self._body_limit]), truncated
