"""Staff invitations: queued with the user, resent by the gérant, accepted with a password."""

import logging

from pydantic import Field

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, NotFound
from contract.inputs import NewPassword
from infra.passwords import new_password
from infra.tokens import TokenSigner, hash_invitation_token
from models import Invitation, InvitationStatus, Role, User, UserStatus
from models.clock import utcnow
from models.operations import insert_once
from resolvers import scopes
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


async def queue_invitation(user: User) -> Invitation:
    """Put a new manager's or seller's invitation in the outbox; the sender emails it later."""
    invitation = await insert_once(
        Invitation(gerant_id=user.gerant_id, user_id=user.id, email=user.email)
    )
    logger.info("invitation %s for user %s <%s> queued", invitation.id, user.id, user.email)
    return invitation


def sort_key(invitation: Invitation) -> tuple[str, str]:
    return newest_first_key(invitation.created_at, invitation.id)


async def list_invitations(
    *, actor: Actor, status: InvitationStatus | None, first: int, after: str | None
) -> Page[Invitation]:
    """The tenant's invitations and their delivery state, newest first, `first` at a time
    (gérant session only)."""
    gerant = actor.require_gerant_session()
    check_page_size(first)
    query = scopes.invitations(gerant.gerant_id)
    if status is not None:
        query["status"] = status
    if after is not None:
        query = {"$and": [query, newest_first_after(after, "created_at")]}
    found = await Invitation.find(query).sort("-created_at", "-_id").limit(first + 1).to_list()
    return page_of(found, first, sort_key)


async def resend_invitation(*, actor: Actor, user_id: str) -> Invitation:
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
        return await queue_invitation(user)
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
    result = await Invitation.get_motor_collection().update_one(
        scopes.invitations(
            invitation.gerant_id, _id=invitation.id, status={"$ne": InvitationStatus.ACCEPTED}
        ),
        {"$set": again},
    )
    if result.modified_count == 0:
        raise BadRequest(messages.INVITATION_ALREADY_ACCEPTED)
    for field, value in again.items():
        setattr(invitation, field, value)
    return invitation


async def accept_invitation(*, data: InvitationAcceptance, signer: TokenSigner) -> LoginResult:
    """Set the invited user's password and log him in; the link works once, for 7 days after
    it was sent."""
    token_hash = hash_invitation_token(data.token)
    invitation = await Invitation.find_one({"token_hash": token_hash})
    if invitation is None:
        raise BadRequest(messages.INVITATION_UNKNOWN)
    if invitation.status is InvitationStatus.ACCEPTED:
        raise BadRequest(messages.INVITATION_USED)
    now = utcnow()
    if invitation.token_expires_at is None or invitation.token_expires_at <= now:
        raise BadRequest(messages.INVITATION_EXPIRED)
    user = await User.find_one(scopes.users(invitation.gerant_id, _id=invitation.user_id))
    if user is None or user.status is not UserStatus.ACTIVE:
        raise BadRequest(messages.INVITATION_USER_INACTIVE)
    stored = await new_password(data.password)
    consumed = await Invitation.get_motor_collection().update_one(
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
    )
    if consumed.modified_count == 0:
        raise BadRequest(messages.INVITATION_USED)
    await User.find_one(scopes.users(user.gerant_id, _id=user.id)).update(
        {
            "$set": {
                "password_hash": stored.password_hash,
                "password_stamp": stored.password_stamp,
                "updated_at": now,
            }
        }
    )
    user.password_hash, user.password_stamp = stored.password_hash, stored.password_stamp
    user.updated_at = now
    logger.info("invitation %s accepted by user %s", invitation.id, user.id)
    return LoginResult(token=signer.issue(user), user=user)
