"""Emails other than invitations, queued in the transaction of what they tell and sent by the
mail outbox; the message itself is built when it is sent (a link's token is minted then, so the
database never holds it)."""

from functools import partial
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import new_id


class OutboxMail(Document):
    """One email to send: its kind and what its composer needs (`data`); kept until
    `expires_at` (a TTL index), whatever became of it."""

    id: str = Field(default_factory=partial(new_id, "mail"))  # type: ignore[assignment]
    gerant_id: str
    kind: str
    data: dict[str, Any]
    status: str = "pending"  # infra.outbox.OutboxStatus
    attempts: int = 0
    next_attempt_at: UtcDateTime = Field(default_factory=utcnow)
    lease_owner: str | None = None  # the claim token of the sender holding the lease
    last_error: str | None = None
    sent_at: UtcDateTime | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    expires_at: UtcDateTime

    class Settings:
        name = "outbox_mails"
        indexes = [
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]
