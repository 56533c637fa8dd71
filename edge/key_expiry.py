"""The key-expiry warning added to every response made with a key that expires soon."""

from datetime import timedelta

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract.actor import Actor
from edge.context import request_context
from models.clock import utcnow


def expiry_warning(actor: Actor, warning_days: int) -> str | None:
    """An RFC 7234-style `Warning` value when the key expires within `warning_days`."""
    expires_at = actor.api_key.expires_at if actor.api_key else None
    if expires_at is None or expires_at - utcnow() > timedelta(days=warning_days):
        return None
    when = expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'299 - "API key expires at {when}; create a new key and rotate before then"'


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
                actor = request_context(scope).actor
                warning = expiry_warning(actor, self.warning_days) if actor else None
                if warning:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"warning", warning.encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_warning)
