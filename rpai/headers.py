"""ASGI middleware adding the key-expiry warning to every response made with an expiring key."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.auth import expiry_warning


class KeyExpiryWarning:
    def __init__(self, app: ASGIApp, warning_days: int) -> None:
        self.app = app
        self.warning_days = warning_days

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_warning(message: Message) -> None:
            if message["type"] == "http.response.start":
                actor = scope.get("state", {}).get("actor")
                warning = expiry_warning(actor, self.warning_days) if actor else None
                if warning:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"warning", warning.encode())]
            await send(message)

        await self.app(scope, receive, send_with_warning)
