"""`X-Content-Type-Options: nosniff` on every answer: a browser reads each as the type it says
(a JSON answer quoting a caller's text is never run as a script or a page)."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Content-Type-Options"
NOSNIFF = {HEADER: "nosniff"}


class NoSniff:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault(HEADER, NOSNIFF[HEADER])
            await send(message)

        await self.app(scope, receive, send_with_header)
