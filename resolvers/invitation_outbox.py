"""The invitation outbox: claims due messages under a lease, sends, retries with backoff; the
background job that empties it.

Every API process runs one. A claim is one atomic conditional update, so each message is held
by one sender at a time; the lease (`next_attempt_at` while `sending`) ends by itself, so a
message whose sender died is claimed again once it has passed. Each claim mints a new token:
its hash is written with the claim, the token itself only goes into the email.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from pymongo import ASCENDING, ReturnDocument

from infra.background import periodically
from infra.mail import DeliveryFailed, Send, SmtpServer, smtp_send
from infra.tokens import INVITATION_TOKEN_TTL, hash_invitation_token, new_invitation_token
from models import Invitation, InvitationStatus, Store, User, UserStatus
from models.clock import utcnow
from resolvers import scopes
from resolvers.invitation_email import InvitationContent, invitation_link, invitation_message

logger = logging.getLogger(__name__)

# Longer than one SMTP exchange may take (the transport's timeouts are well under it), so a
# live sender never loses its lease mid-send.
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8
BATCH = 20
MAX_ERROR_TEXT = 500
USER_INACTIVE = "user suspended or deleted before sending"
UNBUILDABLE = "the email could not be built"


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling each time, at most an hour."""
    return min(FIRST_RETRY * int(2 ** (attempts - 1)), MAX_RETRY)


@dataclass(frozen=True)
class Claim:
    invitation: Invitation
    owner: str  # this claim's own token: only its holder may record the outcome
    token: str


@dataclass(frozen=True)
class InvitationSender:
    """Sends the outbox's due invitations through `send` (SMTP in the app)."""

    send: Send
    public_url: str
    from_address: str

    async def run_once(self) -> int:
        """Send the due invitations, one claim at a time, at most BATCH; how many were handled.

        The first failed delivery ends the run: the server is likely down, and the other
        messages wait for the next run rather than each spending an attempt (and a timeout).
        """
        handled = 0
        while handled < BATCH:
            claim = await claim_next()
            if claim is None:
                break
            handled += 1
            if not await self.deliver(claim):
                break
        return handled

    async def deliver(self, claim: Claim) -> bool:
        """Send one claimed message and record the outcome; False if the transport failed."""
        invitation = claim.invitation
        if invitation.attempts > MAX_ATTEMPTS:  # its senders kept dying while holding it
            await settle(claim, {"status": InvitationStatus.FAILED})
            return True
        content = await self.content(claim)
        if content is None:
            await settle(claim, {"status": InvitationStatus.FAILED, "last_error": USER_INACTIVE})
            return True
        try:
            message = invitation_message(content=content, sender=self.from_address)
        except Exception as exc:  # any stored text no email can carry, whatever the cause
            # Sending again would fail the same way: failed for good, with the reason, and the
            # run goes on with the next message.
            reason = f"{UNBUILDABLE}: {type(exc).__name__}: {exc}"
            await settle(
                claim, {"status": InvitationStatus.FAILED, "last_error": reason[:MAX_ERROR_TEXT]}
            )
            logger.warning("invitation %s: %s", invitation.id, reason)
            return True
        try:
            await self.send(message)
        except DeliveryFailed as exc:
            await settle(claim, failed_attempt(invitation.attempts, str(exc)))
            logger.warning(
                "invitation %s: attempt %d failed: %s", invitation.id, invitation.attempts, exc
            )
            return False
        await settle(
            claim, {"status": InvitationStatus.SENT, "sent_at": utcnow(), "last_error": None}
        )
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
    """Lease the most overdue message, pending or with an expired lease, and give it a token."""
    now = utcnow()
    owner, token = uuid4().hex, new_invitation_token()
    found = await Invitation.get_motor_collection().find_one_and_update(
        {
            "status": {"$in": [InvitationStatus.PENDING, InvitationStatus.SENDING]},
            "next_attempt_at": {"$lte": now},
        },
        {
            "$set": {
                "status": InvitationStatus.SENDING,
                "next_attempt_at": now + LEASE,
                "lease_owner": owner,
                "token_hash": hash_invitation_token(token),
                "token_expires_at": now + INVITATION_TOKEN_TTL,
            },
            "$inc": {"attempts": 1},
        },
        sort=[("next_attempt_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    if found is None:
        return None
    return Claim(invitation=Invitation.model_validate(found), owner=owner, token=token)


def failed_attempt(attempts: int, error: str) -> dict[str, Any]:
    """The next state after a failed attempt: a retry after the backoff, or failed for good."""
    if attempts >= MAX_ATTEMPTS:
        return {"status": InvitationStatus.FAILED, "last_error": error[:MAX_ERROR_TEXT]}
    return {
        "status": InvitationStatus.PENDING,
        "next_attempt_at": utcnow() + retry_delay(attempts),
        "last_error": error[:MAX_ERROR_TEXT],
    }


async def settle(claim: Claim, changes: dict[str, Any]) -> None:
    """Record an attempt's outcome, if the claim still holds the lease (else someone resent or
    reclaimed the message meanwhile, and their state wins)."""
    result = await Invitation.get_motor_collection().update_one(
        {
            "_id": claim.invitation.id,
            "lease_owner": claim.owner,
            "status": InvitationStatus.SENDING,
        },
        {"$set": {**changes, "lease_owner": None}},
    )
    if result.modified_count == 0:
        logger.warning(
            "invitation %s: lease lost before the outcome was recorded", claim.invitation.id
        )


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
