"""Staff invitations, which are also the outbox their emails are sent from."""

from enum import StrEnum
from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id


class InvitationStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt at next_attempt_at
    SENDING = "sending"  # claimed by a sender until next_attempt_at (the lease's end)
    SENT = "sent"
    FAILED = "failed"  # every attempt failed, or the user is no longer active
    ACCEPTED = "accepted"


class Invitation(Document):
    """One per manager or seller invited; only the SHA-256 of the emailed token is stored."""

    id: str = Field(default_factory=partial(new_id, "inv"))  # type: ignore[assignment]
    gerant_id: str
    user_id: str
    email: str
    status: InvitationStatus = InvitationStatus.PENDING
    attempts: int = 0
    next_attempt_at: UtcDateTime = Field(default_factory=utcnow)
    lease_owner: str | None = None  # the claim token of the sender holding the lease
    last_error: str | None = None
    token_hash: str | None = None
    token_expires_at: UtcDateTime | None = None
    sent_at: UtcDateTime | None = None
    accepted_at: UtcDateTime | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    operation_id: str | None = None  # the operation that created it (models/operations.py)

    class Settings:
        name = "invitations"
        indexes = [
            OPERATION_INDEX,
            IndexModel([("user_id", ASCENDING)], unique=True, name="user_unique"),
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"),
            IndexModel([("token_hash", ASCENDING)], name="token_hash"),
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", ASCENDING)], name="tenant_created"
            ),
        ]
