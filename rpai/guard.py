"""Rate limits, enforced before any work: per credential, and per client IP for failed logins."""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers import messages
from resolvers.auth import credential_from_headers, is_cached_valid_key
from resolvers.errors import TooManyRequests
from resolvers.metrics import RATE_LIMITED
from resolvers.rate_limits import WindowState, rate_limits, subject_of
from rpai.edge import client_ip, is_api, send_error, state


def limit_headers(window: WindowState) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(window.limit).encode()),
        (b"ratelimit-remaining", str(max(window.remaining, 0)).encode()),
        (b"ratelimit-reset", str(window.reset).encode()),
    ]


class RateLimitGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api(scope):
            await self.app(scope, receive, send)
            return
        ip = client_ip(scope) or "unknown"
        headers = Headers(scope=scope)
        credential = credential_from_headers(
            x_api_key=headers.get("x-api-key"), authorization=headers.get("authorization")
        )
        failures = rate_limits.auth_failures.peek(ip)
        # A key validated moments ago still passes, so a flood of bad keys from a shared
        # address cannot lock out the integrations behind it.
        blocked = failures.remaining <= 0 and not (credential and is_cached_valid_key(credential))
        if blocked:
            RATE_LIMITED.labels("auth_failures").inc()
            error = TooManyRequests(messages.AUTH_FAILURES_LIMITED, retry_after=failures.reset)
            await send_error(scope, send, error, limit_headers(failures))
            return
        window = rate_limits.per_key.hit(subject_of(credential)) if credential else failures
        if window.exceeded:
            RATE_LIMITED.labels("per_key").inc()
            error = TooManyRequests(
                messages.RATE_LIMITED.format(limit=window.limit), retry_after=window.reset
            )
            await send_error(scope, send, error, limit_headers(window))
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *limit_headers(window)]
            await send(message)

        await self.app(scope, receive, send_with_limits)
        if state(scope).get("auth_failure"):
            rate_limits.auth_failures.hit(ip)
