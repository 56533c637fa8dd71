"""GraphQL: staff invitations — delivery state and resending for the gérant, acceptance for all."""

from datetime import datetime

import strawberry

from contract.validation import parse
from models import Invitation as InvitationDocument
from models import InvitationStatus
from resolvers import invitations
from schema.access import GerantSession, Public, UserSession
from schema.common import Connection, connection
from schema.context import Info
from schema.sessions import LoginResult, login_result

strawberry.enum(
    InvitationStatus,
    description="PENDING: waiting for its next attempt; SENDING: being sent; SENT; FAILED: "
    "every attempt failed or the user was suspended; ACCEPTED: the password was chosen.",
)


@strawberry.type(description="An invitation email and where its delivery stands.")
class Invitation:
    id: strawberry.ID
    user_id: strawberry.ID
    email: str
    status: InvitationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime = strawberry.field(
        description="When PENDING, the next attempt; when SENDING, the end of the sender's lease."
    )
    sent_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="End of the last link's validity.")
    accepted_at: datetime | None
    created_at: datetime


def invitation_type(invitation: InvitationDocument) -> Invitation:
    return Invitation(
        id=strawberry.ID(invitation.id),
        user_id=strawberry.ID(invitation.user_id),
        email=invitation.email,
        status=invitation.status,
        attempts=invitation.attempts,
        last_error=invitation.last_error,
        next_attempt_at=invitation.next_attempt_at,
        sent_at=invitation.sent_at,
        expires_at=invitation.token_expires_at,
        accepted_at=invitation.accepted_at,
        created_at=invitation.created_at,
    )


@strawberry.type
class InvitationQuery:
    @strawberry.field(
        description="Invitations, newest first, a page at a time: the tenant's (gérant) or his "
        "store's staff's (manager); `first` from 1 to 100.",
        permission_classes=[UserSession],
    )
    async def invitations(
        self,
        info: Info,
        status: InvitationStatus | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Invitation]:
        page = await invitations.list_invitations(
            actor=info.context.actor(), status=status, first=first, after=after
        )
        return connection(page, invitation_type)

    @strawberry.field(
        description="Whether an invitation link can still be used (true), without using it; an "
        "unknown, used or expired one is a BAD_REQUEST error saying which.",
        permission_classes=[Public],
    )
    async def invitation_link(self, token: str) -> bool:
        await invitations.check_invitation_link(token=token)
        return True


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        description="Send a manager's or seller's invitation again (gérant).",
        permission_classes=[GerantSession],
    )
    async def resend_invitation(self, info: Info, user_id: strawberry.ID) -> Invitation:
        invitation = await invitations.resend_invitation(
            actor=info.context.actor(), user_id=user_id, events=info.context.services.events
        )
        return invitation_type(invitation)

    @strawberry.mutation(
        description="Choose a password with an invitation's token and log in; the token works "
        "once.",
        permission_classes=[Public],
    )
    async def accept_invitation(self, info: Info, token: str, password: str) -> LoginResult:
        data = parse(invitations.InvitationAcceptance, {"token": token, "password": password})
        result = await invitations.accept_invitation(
            data=data, signer=info.context.services.signer, events=info.context.services.events
        )
        return login_result(result)
