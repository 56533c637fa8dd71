"""Email over SMTP (aiosmtplib): where to hand messages over, and the one way to send them."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


class DeliveryFailed(Exception):
    """The transport could not hand the message over; the message says why (never the link)."""


Send = Callable[[EmailMessage], Awaitable[None]]

# Per connection step (connect, each command); a whole exchange stays well within the lease.
SMTP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand emails over."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool


def smtp_send(server: SmtpServer) -> Send:
    """Send one message through `server`; any failure is a DeliveryFailed."""

    async def send(message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                start_tls=server.starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    return send
