"""The mail outbox: emails queued in the transaction of what they tell (an endpoint disabled, a
password reset asked), built by their kind's composer when sent, sent under a lease with
retries (`infra.outbox`) by every API process; without an SMTP server they stay queued.

A composer runs at send time, so a link's token is minted then and only its hash stored: the
database never holds a usable link. Composers are given to the sender (rpai's app factory takes
them from `resolvers.mail_composers`), so this module knows no kind's content.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from enum import StrEnum
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession

from infra import outbox
from infra.background import periodically
from infra.mail import DeliveryFailed, Send, SmtpServer, smtp_send
from models import OutboxMail
from models.clock import utcnow
from models.ids import new_id
from resolvers import scopes

logger = logging.getLogger(__name__)

# Kept this long whatever became of them (a TTL index), for operators to look at.
MAIL_RETENTION = timedelta(days=30)
NOTHING_TO_SEND = "nothing to send any more"
UNKNOWN_KIND = "no composer for this kind of email"
UNBUILDABLE = "the email could not be built"


class MailKind(StrEnum):
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    PASSWORD_RESET = "user.password_reset"


@dataclass(frozen=True)
class Mail:
    """An email as its composer writes it; `html` is the alternative to the text, if any."""

    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class Letter:
    """What a composer is given: the queued email's kind, tenant and data, and the public
    address links point to."""

    kind: str
    gerant_id: str
    data: dict[str, Any]
    public_url: str


# None: there is nothing to send any more (its subject is gone); the email is dropped.
Composer = Callable[[Letter], Awaitable[Mail | None]]


async def enqueue(
    session: AsyncIOMotorClientSession | None,
    *,
    kind: MailKind,
    gerant_id: str,
    data: dict[str, Any],
) -> None:
    """Queue an email in the transaction of `session`: sent only if that transaction commits."""
    now = utcnow()
    document = scopes.new_document(
        gerant_id,
        _id=new_id("mail"),
        kind=kind.value,
        data=data,
        status=outbox.OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        expires_at=now + MAIL_RETENTION,
    )
    await OutboxMail.get_motor_collection().insert_one(document, session=session)


def email_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


@dataclass(frozen=True)
class MailSender:
    """Sends the outbox's due emails through `send` (SMTP in the app)."""

    send: Send
    composers: Mapping[str, Composer]
    public_url: str
    from_address: str

    async def run_once(self) -> int:
        """Send the due emails, at most a batch; how many were handled."""
        return await outbox.drain(self.claim, self.deliver)

    async def claim(self) -> outbox.Lease | None:
        return await outbox.claim_next(OutboxMail.get_motor_collection())

    async def deliver(self, lease: outbox.Lease) -> bool:
        """Build and send one claimed email and record the outcome; False if the transport
        failed."""
        mail = OutboxMail.model_validate(lease.document)
        if mail.attempts > outbox.MAX_ATTEMPTS:  # its senders kept dying while holding it
            return await self.settle(lease, {"status": outbox.OutboxStatus.FAILED})
        try:
            message = await self.message(mail)
        except Exception as exc:  # any content no email can carry, whatever the cause
            # Building it again would fail the same way: failed for good, with the reason.
            reason = f"{UNBUILDABLE}: {type(exc).__name__}: {exc}"
            logger.warning("mail %s (%s): %s", mail.id, mail.kind, reason)
            return await self.settle(lease, outbox.failed_for_good(reason))
        if isinstance(message, str):
            return await self.settle(lease, outbox.failed_for_good(message))
        try:
            await self.send(message)
        except DeliveryFailed as exc:
            await self.settle(lease, outbox.failed_attempt(mail.attempts, str(exc)))
            logger.warning("mail %s: attempt %d failed: %s", mail.id, mail.attempts, exc)
            return False
        logger.info("mail %s (%s) sent", mail.id, mail.kind)
        return await self.settle(lease, outbox.sent())

    async def message(self, mail: OutboxMail) -> EmailMessage | str:
        """The email to send, or why there is none."""
        composer = self.composers.get(mail.kind)
        if composer is None:
            return UNKNOWN_KIND
        letter = Letter(
            kind=mail.kind, gerant_id=mail.gerant_id, data=mail.data, public_url=self.public_url
        )
        composed = await composer(letter)
        if composed is None:
            return NOTHING_TO_SEND
        return email_message(composed, self.from_address)

    async def settle(self, lease: outbox.Lease, changes: dict[str, Any]) -> bool:
        """Record the outcome; True: the run goes on with the next email."""
        await outbox.settle(OutboxMail.get_motor_collection(), lease, changes)
        return True


@asynccontextmanager
async def mail_outbox(
    server: SmtpServer | None,
    *,
    composers: Mapping[str, Composer],
    public_url: str,
    from_address: str,
    poll_seconds: float,
) -> AsyncIterator[None]:
    """Send queued emails every `poll_seconds`; without a server they stay queued."""
    if server is None:
        yield
        return
    sender = MailSender(
        send=smtp_send(server),
        composers=composers,
        public_url=public_url,
        from_address=from_address,
    )
    async with periodically(poll_seconds, sender.run_once):
        yield
