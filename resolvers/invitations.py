"""Staff invitations: queued with the user, resent by the gérant, accepted with a password."""

import logging

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import Field
from pymongo import ReturnDocument

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.event_types import EventType
from contract.inputs import NewPassword
from contract.representations import invitation_out
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from infra.passwords import new_password
from infra.tokens import TokenSigner, hash_invitation_token
from models import Event, Invitation, InvitationStatus, Role, User, UserStatus
from models.clock import utcnow
from models.operations import insert_once
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.events import new_event, record_all
from resolvers.pagination import (
    Page,
    check_page_size,
    newest_first_after,
    newest_first_key,
    page_of,
)
from resolvers.sessions import LoginResult

logger = logging.getLogger(__name__)

MAX_TOKEN = 100


class InvitationAcceptance(NewPassword):
    """The token of an invitation link and the password its user chooses."""

    token: str = Field(max_length=MAX_TOKEN)


def new_invitation(user: User) -> Invitation:
    """A manager's or seller's invitation, for the outbox; the sender emails it later."""
    return Invitation(gerant_id=user.gerant_id, user_id=user.id, email=user.email)


def _sent(invitation: Invitation, events: EventLog) -> Event:
    return new_event(
        log=events,
        gerant_id=invitation.gerant_id,
        type=EventType.INVITATION_SENT,
        resource=invitation_out(invitation),
    )


async def queue_invitation(user: User, events: EventLog = DEFAULT_EVENT_LOG) -> Invitation:
    """Put a user's first invitation in the outbox, with its `invitation.sent` event."""
    invitation = new_invitation(user)

    async def sent(session: AsyncIOMotorClientSession) -> None:
        await record_all(session, [_sent(invitation, events)])

    invitation = await insert_once(invitation, then=sent)
    logger.info("invitation %s for user %s <%s> queued", invitation.id, user.id, user.email)
    return invitation


def sort_key(invitation: Invitation) -> tuple[str, str]:
    return newest_first_key(invitation.created_at, invitation.id)


async def list_invitations(
    *, actor: Actor, status: InvitationStatus | None, first: int, after: str | None
) -> Page[Invitation]:
    """The invitations and their delivery state, newest first, `first` at a time: the tenant's
    for a gérant's session, those of his store's staff for a manager's (sellers: 403)."""
    user = actor.require_user_session()
    if user.role is Role.SELLER:
        raise Forbidden(messages.GERANT_OR_MANAGER_SESSION_REQUIRED)
    check_page_size(first)
    query = scopes.invitations(actor.gerant_id)
    if user.role is Role.MANAGER:
        staff = await User.distinct("_id", scopes.readable_staff(actor))
        query = scopes.invitations(actor.gerant_id, user_id={"$in": staff})
    if status is not None:
        query["status"] = status
    if after is not None:
        query = {"$and": [query, newest_first_after(after, "created_at")]}
    found = await Invitation.find(query).sort("-created_at", "-_id").limit(first + 1).to_list()
    return page_of(found, first, sort_key)


async def resend_invitation(
    *, actor: Actor, user_id: str, events: EventLog = DEFAULT_EVENT_LOG
) -> Invitation:
    """Queue the user's invitation again, now; the link sent before stops working."""
    gerant = actor.require_gerant_session()
    user = await User.find_one(scopes.users(gerant.gerant_id, _id=user_id))
    if user is None:
        raise NotFound(messages.USER_NOT_FOUND)
    if user.role is Role.GERANT:
        raise BadRequest(messages.INVITATION_NOT_STAFF)
    if user.status is not UserStatus.ACTIVE:
        raise BadRequest(messages.INVITATION_USER_INACTIVE)
    invitation = await Invitation.find_one(scopes.invitations(user.gerant_id, user_id=user.id))
    if invitation is None:
        return await queue_invitation(user, events)
    if invitation.status is InvitationStatus.ACCEPTED:
        raise BadRequest(messages.INVITATION_ALREADY_ACCEPTED)
    again = {
        "status": InvitationStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "lease_owner": None,
        "last_error": None,
        "token_hash": None,
        "token_expires_at": None,
        "sent_at": None,
    }
    queued: Invitation = invitation.model_copy(update=again)

    async def queue_again(session: AsyncIOMotorClientSession) -> None:
        result = await Invitation.get_motor_collection().update_one(
            scopes.invitations(
                invitation.gerant_id, _id=invitation.id, status={"$ne": InvitationStatus.ACCEPTED}
            ),
            {"$set": again},
            session=session,
        )
        # Matched, not modified: a resend within the same millisecond changes nothing.
        if result.matched_count == 0:
            raise BadRequest(messages.INVITATION_ALREADY_ACCEPTED)
        await record_all(session, [_sent(queued, events)])

    await run_in_transaction(Invitation, queue_again)
    return queued


async def _usable(token_hash: str) -> tuple[Invitation, User]:
    """The invitation of a link that can still be used, and its user; else why not."""
    invitation = await Invitation.find_one({"token_hash": token_hash})
    if invitation is None:
        raise BadRequest(messages.INVITATION_UNKNOWN)
    if invitation.status is InvitationStatus.ACCEPTED:
        raise BadRequest(messages.INVITATION_USED)
    if invitation.token_expires_at is None or invitation.token_expires_at <= utcnow():
        raise BadRequest(messages.INVITATION_EXPIRED)
    user = await User.find_one(scopes.users(invitation.gerant_id, _id=invitation.user_id))
    if user is None or user.status is not UserStatus.ACTIVE:
        raise BadRequest(messages.INVITATION_USER_INACTIVE)
    return invitation, user


async def check_invitation_link(*, token: str) -> None:
    """Refuse an unknown, used or expired link, or a suspended user's, without using it: the
    page asks as it opens, before anyone types a password."""
    await _usable(hash_invitation_token(token[:MAX_TOKEN]))


async def accept_invitation(
    *, data: InvitationAcceptance, signer: TokenSigner, events: EventLog = DEFAULT_EVENT_LOG
) -> LoginResult:
    """Set the invited user's password and log him in; the link works once, for 7 days after
    it was sent."""
    token_hash = hash_invitation_token(data.token)
    invitation, user = await _usable(token_hash)
    now = utcnow()
    stored = await new_password(data.password)

    async def accept(session: AsyncIOMotorClientSession) -> None:
        consumed = await Invitation.get_motor_collection().find_one_and_update(
            scopes.invitations(
                invitation.gerant_id,
                _id=invitation.id,
                token_hash=token_hash,
                status={"$ne": InvitationStatus.ACCEPTED},
            ),
            {
                "$set": {
                    "status": InvitationStatus.ACCEPTED,
                    "accepted_at": now,
                    "lease_owner": None,
                }
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if consumed is None:
            raise BadRequest(messages.INVITATION_USED)
        await User.get_motor_collection().update_one(
            scopes.users(user.gerant_id, _id=user.id),
            {
                "$set": {
                    "password_hash": stored.password_hash,
                    "password_stamp": stored.password_stamp,
                    "updated_at": now,
                }
            },
            session=session,
        )
        accepted = new_event(
            log=events,
            gerant_id=invitation.gerant_id,
            type=EventType.INVITATION_ACCEPTED,
            resource=invitation_out(Invitation.model_validate(consumed)),
        )
        await record_all(session, [accepted])

    await run_in_transaction(Invitation, accept)
    user.password_hash, user.password_stamp = stored.password_hash, stored.password_stamp
    user.updated_at = now
    logger.info("invitation %s accepted by user %s", invitation.id, user.id)
    return LoginResult(token=signer.issue(user), user=user)
