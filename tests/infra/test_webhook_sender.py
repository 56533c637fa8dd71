"""One delivery attempt against a real local receiver (uvicorn on a free port of the loopback,
reached with `allow_private`); signatures checked with the `standardwebhooks` package."""

import asyncio
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import trustme
import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError

from infra.webhook_sender import (
    RESPONSE_BODY_LIMIT,
    USER_AGENT,
    WebhookSender,
    generate_secret,
    signature_header,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

EVENT_ID = "evt_0123456789"
EVENT = {"id": EVENT_ID, "type": "store.created", "data": {"object": {"name": "Lyon Part-Dieu"}}}
ANSWERS: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = {
    "/ok": (200, [], b'{"received":true}'),
    "/accepted": (204, [], b""),
    "/fail": (500, [], b"boom"),
    "/redirect": (302, [(b"location", b"/ok")], b""),
    "/exact": (200, [], b"y" * RESPONSE_BODY_LIMIT),
}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An ASGI app that records each request and answers from `ANSWERS`. Until released, `/hang`
    never answers, `/endless` sends more than the read limit and then nothing, `/drip` sends one
    byte every 50 ms."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.received.append(Received(path=scope["path"], headers=headers, body=body))
        if scope["path"] == "/hang":
            await self.release.wait()
        if scope["path"] in ("/endless", "/drip"):
            await self.stream(scope["path"], send)
            return
        status, extra_headers, content = ANSWERS.get(scope["path"], (404, [], b""))
        await send({"type": "http.response.start", "status": status, "headers": extra_headers})
        await send({"type": "http.response.body", "body": content})

    async def stream(self, path: str, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if path == "/endless":
            chunk = b"x" * (RESPONSE_BODY_LIMIT * 2)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await self.release.wait()
        while not self.release.is_set():
            await send({"type": "http.response.body", "body": b"z", "more_body": True})
            await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b""})


@asynccontextmanager
async def serving(
    receiver: Receiver, certificate: trustme.LeafCert | None = None
) -> AsyncIterator[int]:
    """Serve `receiver` on a free loopback port (TLS with `certificate` if given); the port."""
    async with AsyncExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        tls: dict[str, Any] = {}
        if certificate is not None:
            pem = certificate.private_key_and_cert_chain_pem.tempfile()
            tls["ssl_certfile"] = stack.enter_context(pem)
        config = uvicorn.Config(receiver, lifespan="off", log_level="warning", **tls)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started:
            assert not task.done(), "the receiver did not start"
            await asyncio.sleep(0.01)
        try:
            yield listener.getsockname()[1]
        finally:
            receiver.release.set()
            server.should_exit = True
            await task


class StubResolver:
    """Answers every name with fixed addresses and records the questions."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        return self.answers


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver()
    async with serving(app) as port:
        yield app, f"http://127.0.0.1:{port}"


def sender(timeout_seconds: float = 10, **options: Any) -> WebhookSender:
    return WebhookSender(timeout_seconds=timeout_seconds, allow_private=True, **options)


async def send(
    sender: WebhookSender, url: str, secrets: Sequence[str] | None = None, **overrides: Any
) -> Any:
    arguments: dict[str, Any] = {
        "url": url,
        "event_id": EVENT_ID,
        "body": EVENT,
        "timestamp": datetime.now(UTC),
        "signing_secrets": secrets or [generate_secret()],
    }
    return await sender.send(**(arguments | overrides))


class TestSignature:
    async def test_the_receiver_verifies_what_it_got(self, receiver: tuple[Receiver, str]) -> None:
        app, base = receiver
        secret = generate_secret()
        attempt = await send(sender(), f"{base}/ok", [secret])
        [got] = app.received
        assert Webhook(secret).verify(got.body, got.headers) == EVENT
        assert got.headers["webhook-id"] == EVENT_ID
        assert got.headers["content-type"] == "application/json"
        assert got.headers["user-agent"] == USER_AGENT
        assert got.headers["accept-encoding"] == "identity"
        assert json.loads(got.body) == EVENT
        assert attempt.delivered
        assert attempt.status_code == 200
        assert attempt.error is None
        assert attempt.response_body == '{"received":true}'
        assert not attempt.response_truncated
        assert attempt.duration_ms >= 0

    async def test_both_secrets_verify_during_a_rotation(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        app, base = receiver
        old, new = generate_secret(), generate_secret()
        attempt = await send(sender(), f"{base}/ok", [new, old])
        [got] = app.received
        signatures = got.headers["webhook-signature"].split(" ")
        assert len(signatures) == 2
        assert all(signature.startswith("v1,") for signature in signatures)
        assert Webhook(old).verify(got.body, got.headers) == EVENT
        assert Webhook(new).verify(got.body, got.headers) == EVENT
        with pytest.raises(WebhookVerificationError, match="No matching signature found"):
            Webhook(generate_secret()).verify(got.body, got.headers)
        assert attempt.delivered

    async def test_bytes_are_sent_and_signed_as_given(self, receiver: tuple[Receiver, str]) -> None:
        app, base = receiver
        secret = generate_secret()
        body = b'{ "id" : "evt_0123456789", "type": "ping" }'
        await send(sender(), f"{base}/ok", [secret], body=body)
        [got] = app.received
        assert got.body == body
        assert Webhook(secret).verify(got.body, got.headers) == json.loads(body)

    async def test_a_naive_timestamp_is_utc(self, receiver: tuple[Receiver, str]) -> None:
        app, base = receiver
        secret = generate_secret()
        now = datetime.now(UTC).replace(microsecond=0)
        await send(sender(), f"{base}/ok", [secret], timestamp=now.replace(tzinfo=None))
        [got] = app.received
        assert got.headers["webhook-timestamp"] == str(int(now.timestamp()))
        assert Webhook(secret).verify(got.body, got.headers) == EVENT

    @pytest.mark.parametrize("count", [0, 3])
    def test_one_or_two_secrets_only(self, count: int) -> None:
        with pytest.raises(ValueError, match=r"^one or two signing secrets are expected$"):
            signature_header(
                event_id=EVENT_ID,
                timestamp=datetime.now(UTC),
                body=b"{}",
                signing_secrets=[generate_secret() for _ in range(count)],
            )

    def test_secrets_are_random_and_in_the_specification_format(self) -> None:
        made = {generate_secret() for _ in range(50)}
        assert len(made) == 50
        for secret in made:
            assert secret.startswith("whsec_")
            assert len(secret) == len("whsec_") + 44


class TestOutcome:
    async def test_a_204_is_delivered(self, receiver: tuple[Receiver, str]) -> None:
        _, base = receiver
        attempt = await send(sender(), f"{base}/accepted")
        assert (attempt.delivered, attempt.status_code, attempt.error) == (True, 204, None)

    async def test_a_500_is_a_failure_with_its_answer(self, receiver: tuple[Receiver, str]) -> None:
        _, base = receiver
        attempt = await send(sender(), f"{base}/fail")
        assert not attempt.delivered
        assert attempt.status_code == 500
        assert attempt.error == "HTTP 500"
        assert attempt.response_body == "boom"

    async def test_a_redirect_is_not_followed_and_is_a_failure(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        app, base = receiver
        attempt = await send(sender(), f"{base}/redirect")
        assert [got.path for got in app.received] == ["/redirect"]
        assert not attempt.delivered
        assert attempt.status_code == 302
        assert attempt.error == "HTTP 302: redirects are not followed"

    async def test_a_404_is_a_failure(self, receiver: tuple[Receiver, str]) -> None:
        _, base = receiver
        attempt = await send(sender(), f"{base}/missing")
        assert (attempt.delivered, attempt.status_code, attempt.error) == (False, 404, "HTTP 404")

    async def test_the_answer_is_read_up_to_the_limit(self, receiver: tuple[Receiver, str]) -> None:
        _, base = receiver
        # The answer never ends: only a read that stops at the limit can be delivered.
        endless = await send(sender(timeout_seconds=5), f"{base}/endless")
        assert endless.delivered, endless.error
        assert endless.response_body == "x" * RESPONSE_BODY_LIMIT
        assert endless.response_truncated
        exact = await send(sender(), f"{base}/exact")
        assert exact.response_body == "y" * RESPONSE_BODY_LIMIT
        assert not exact.response_truncated
        small = await send(sender(response_body_limit=3), f"{base}/fail")
        assert (small.response_body, small.response_truncated) == ("boo", True)

    async def test_a_receiver_that_does_not_answer_in_time_is_a_failure(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        _, base = receiver
        attempt = await send(sender(timeout_seconds=0.2), f"{base}/hang")
        assert not attempt.delivered
        assert attempt.status_code is None
        assert attempt.error == "timed out after 0.2 s"
        assert attempt.response_body == ""

    async def test_the_timeout_bounds_the_whole_attempt(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        # Each byte comes well within the timeout; the answer as a whole does not.
        _, base = receiver
        attempt = await send(sender(timeout_seconds=0.3, response_body_limit=20), f"{base}/drip")
        assert not attempt.delivered
        assert attempt.error == "timed out after 0.3 s"

    async def test_nothing_listening_is_a_failure_with_the_reason(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        attempt = await send(sender(), f"http://127.0.0.1:{port}/ok")
        assert not attempt.delivered
        assert attempt.status_code is None
        assert attempt.error is not None
        assert attempt.error.startswith("ConnectError: ")


class TestAddresses:
    async def test_a_private_address_is_refused_when_delivering(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        app, base = receiver
        strict = WebhookSender(timeout_seconds=10, allow_private=False)
        https_local = base.replace("http://", "https://")
        attempt = await send(strict, https_local + "/ok")
        assert attempt.error == "refused: the host is not only at public addresses"
        assert (attempt.delivered, attempt.status_code) == (False, None)
        plain = await send(strict, f"{base}/ok")
        assert plain.error == "refused: the URL's scheme is not https"
        assert app.received == []

    async def test_a_name_that_now_resolves_to_a_private_address_is_refused(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        app, _ = receiver
        rebound = StubResolver("127.0.0.1")
        strict = WebhookSender(timeout_seconds=10, allow_private=False, resolve=rebound)
        attempt = await send(strict, "https://hooks.example.com/ok")
        assert attempt.error == "refused: the host is not only at public addresses"
        assert app.received == []
        assert rebound.asked == [("hooks.example.com", 443)]

    async def test_the_connection_goes_to_the_checked_address(
        self, receiver: tuple[Receiver, str]
    ) -> None:
        # "receiver.test" has no DNS record: only the checked answer can have reached the receiver.
        app, base = receiver
        port = int(base.rsplit(":", 1)[1])
        resolver = StubResolver("127.0.0.1")
        attempt = await send(sender(resolve=resolver), f"http://receiver.test:{port}/ok")
        assert attempt.delivered
        assert resolver.asked == [("receiver.test", port)]
        [got] = app.received
        assert got.headers["host"] == f"receiver.test:{port}"

    async def test_a_proxy_from_the_environment_is_not_used(
        self, receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _, base = receiver
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, nowhere)
        monkeypatch.delenv("NO_PROXY", raising=False)
        attempt = await send(sender(), f"{base}/ok")
        assert attempt.delivered, attempt.error


class TestTls:
    """HTTPS to a name resolved here: the connection goes to the checked address while TLS
    still names the host (SNI) and checks the certificate against it."""

    @pytest.fixture
    def authority(self) -> trustme.CA:
        return trustme.CA()

    async def test_delivered_over_tls_to_the_checked_address(self, authority: trustme.CA) -> None:
        app = Receiver()
        context = ssl.create_default_context()
        authority.configure_trust(context)
        tls_sender = sender(resolve=StubResolver("127.0.0.1"), ssl_context=context)
        async with serving(app, authority.issue_cert("hooks.example.test")) as port:
            secret = generate_secret()
            attempt = await send(tls_sender, f"https://hooks.example.test:{port}/ok", [secret])
        assert attempt.delivered, attempt.error
        [got] = app.received
        assert got.headers["host"] == f"hooks.example.test:{port}"
        assert Webhook(secret).verify(got.body, got.headers) == EVENT

    async def test_a_certificate_for_another_name_is_refused(self, authority: trustme.CA) -> None:
        app = Receiver()
        context = ssl.create_default_context()
        authority.configure_trust(context)
        tls_sender = sender(resolve=StubResolver("127.0.0.1"), ssl_context=context)
        async with serving(app, authority.issue_cert("other.example.test")) as port:
            attempt = await send(tls_sender, f"https://hooks.example.test:{port}/ok")
        assert not attempt.delivered
        assert attempt.status_code is None
        assert attempt.error is not None
        assert attempt.error.startswith("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]")
        assert "Hostname mismatch, certificate is not valid for 'hooks.example.test'" in (
            attempt.error
        )
        assert app.received == []
