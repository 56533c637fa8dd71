"""Email over SMTP (aiosmtplib), and the background job that empties the invitation outbox."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import aiosmtplib

from resolvers.outbox import DeliveryFailed, InvitationSender, Send
from rpai.background import periodically
from rpai.settings import Settings

logger = logging.getLogger(__name__)

# Per connection step (connect, each command); a whole exchange stays well within the lease.
SMTP_TIMEOUT_SECONDS = 20.0


def smtp_send(settings: Settings) -> Send:
    """Send one message through the configured SMTP server; any failure is a DeliveryFailed."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    async def send(message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                start_tls=settings.smtp_starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc

    return send


@asynccontextmanager
async def invitation_outbox(settings: Settings) -> AsyncIterator[None]:
    """Send queued invitations every RPAI_OUTBOX_POLL_SECONDS; without SMTP they stay queued."""
    if settings.smtp_host is None:
        logger.warning("RPAI_SMTP_HOST is not set: invitations stay queued in the outbox, unsent")
        yield
        return
    sender = InvitationSender(
        send=smtp_send(settings), public_url=settings.public_url, from_address=settings.smtp_from
    )
    async with periodically(settings.outbox_poll_seconds, sender.run_once):
        yield
