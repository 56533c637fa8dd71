"""The invitation outbox: due invitations claimed under a lease (`infra.outbox`), each claim
minting a new token: its hash is written with the claim, the token itself only goes into the
email; the background job that empties it."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from infra import outbox
from infra.background import periodically
from infra.mail import DeliveryFailed, Send, SmtpServer, smtp_send
from infra.tokens import INVITATION_TOKEN_TTL, hash_invitation_token, new_invitation_token
from models import Invitation, Store, User, UserStatus
from models.clock import utcnow
from resolvers import scopes
from resolvers.invitation_email import InvitationContent, invitation_link, invitation_message

logger = logging.getLogger(__name__)

USER_INACTIVE = "user suspended or deleted before sending"
UNBUILDABLE = "the email could not be built"


@dataclass(frozen=True)
class Claim:
    invitation: Invitation
    lease: outbox.Lease  # only its holder may record the outcome
    token: str


@dataclass(frozen=True)
class InvitationSender:
    """Sends the outbox's due invitations through `send` (SMTP in the app)."""

    send: Send
    public_url: str
    from_address: str

    async def run_once(self) -> int:
        """Send the due invitations, at most a batch; how many were handled."""
        return await outbox.drain(claim_next, self.deliver)

    async def deliver(self, claim: Claim) -> bool:
        """Send one claimed message and record the outcome; False if the transport failed."""
        invitation = claim.invitation
        if invitation.attempts > outbox.MAX_ATTEMPTS:  # its senders kept dying while holding it
            await settle(claim, {"status": outbox.OutboxStatus.FAILED})
            return True
        content = await self.content(claim)
        if content is None:
            await settle(claim, outbox.failed_for_good(USER_INACTIVE))
            return True
        try:
            message = invitation_message(content=content, sender=self.from_address)
        except Exception as exc:  # any stored text no email can carry, whatever the cause
            # Sending again would fail the same way: failed for good, with the reason, and the
            # run goes on with the next message.
            reason = f"{UNBUILDABLE}: {type(exc).__name__}: {exc}"
            await settle(claim, outbox.failed_for_good(reason))
            logger.warning("invitation %s: %s", invitation.id, reason)
            return True
        try:
            await self.send(message)
        except DeliveryFailed as exc:
            await settle(claim, outbox.failed_attempt(invitation.attempts, str(exc)))
            logger.warning(
                "invitation %s: attempt %d failed: %s", invitation.id, invitation.attempts, exc
            )
            return False
        await settle(claim, outbox.sent())
        logger.info("invitation %s sent to user %s", invitation.id, invitation.user_id)
        return True

    async def content(self, claim: Claim) -> InvitationContent | None:
        """What the email tells: the invited user (None if no longer active), the gérant who
        invites him and his store."""
        invitation = claim.invitation
        people = await User.find(
            scopes.users(
                invitation.gerant_id, _id={"$in": [invitation.user_id, invitation.gerant_id]}
            )
        ).to_list()
        by_id = {person.id: person for person in people}
        user = by_id.get(invitation.user_id)
        if user is None or user.status is not UserStatus.ACTIVE:
            return None
        gerant = by_id.get(invitation.gerant_id)
        store = None
        if user.store_id is not None:
            store = await Store.find_one(scopes.stores(user.gerant_id, _id=user.store_id))
        return InvitationContent(
            user=user,
            gerant=gerant,
            store=store,
            link=invitation_link(self.public_url, claim.token),
            expires_at=invitation.token_expires_at or utcnow() + INVITATION_TOKEN_TTL,
        )


async def claim_next() -> Claim | None:
    """Lease the most overdue invitation and give it a new token."""
    token = new_invitation_token()
    lease = await outbox.claim_next(
        Invitation.get_motor_collection(),
        also={
            "token_hash": hash_invitation_token(token),
            "token_expires_at": utcnow() + INVITATION_TOKEN_TTL,
        },
    )
    if lease is None:
        return None
    invitation = Invitation.model_validate(lease.document)
    return Claim(invitation=invitation, lease=lease, token=token)


async def settle(claim: Claim, changes: dict[str, Any]) -> None:
    """Record an attempt's outcome, if the claim still holds the lease."""
    await outbox.settle(Invitation.get_motor_collection(), claim.lease, changes)


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
