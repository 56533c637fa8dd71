"""Email over SMTP (aiosmtplib), and the background job that empties the invitation outbox."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from infra.background import periodically
from infra.outbox import DeliveryFailed, InvitationSender, Send

logger = logging.getLogger(__name__)

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


@asynccontextmanager
async def invitation_outbox(
    server: SmtpServer | None, *, public_url: str, from_address: str, poll_seconds: float
) -> AsyncIterator[None]:
    """Send queued invitations every `poll_seconds`; without a server they stay queued."""
    if server is None:
        logger.warning("RPAI_SMTP_HOST is not set: invitations stay queued in the outbox, unsent")
        yield
        return
    sender = InvitationSender(
        send=smtp_send(server), public_url=public_url, from_address=from_address
    )
    async with periodically(poll_seconds, sender.run_once):
        yield
