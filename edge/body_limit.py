"""Request bodies over 1 MiB (an import's file: over its own limit) are refused with a 413,
whether announced or streamed in chunks."""

from contextlib import suppress

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import messages
from contract.errors import PayloadTooLarge
from edge.paths import is_upload
from edge.refusals import send_refusal

MAX_BODY_BYTES = 1024 * 1024
# The rest of the body is left unread: the connection cannot be reused.
CLOSE = [(b"connection", b"close")]


class BodyTooLarge(Exception):
    """Raised to the app reading a body that went over the limit, so it stops reading."""


async def refuse(scope: Scope, send: Send) -> None:
    await send_refusal(scope, send, PayloadTooLarge(messages.BODY_TOO_LARGE), CLOSE)


class BodyLimit:
    """Answers 413 when Content-Length is over the limit (`max_bytes`, or `upload_max_bytes` for
    an import's file), or once that many bytes are read."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, upload_max_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = is_upload(scope["method"], scope["path"])
        limit = self.upload_max_bytes if upload else self.max_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdecimal() and int(declared) > limit:
            await refuse(scope, send)
            return

        received = 0
        refused = started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        async def send_unless_refused(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the app's answer to a body cut short: the 413 replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, counting_receive, send_unless_refused)
        if refused and not started:
            await refuse(scope, send)
