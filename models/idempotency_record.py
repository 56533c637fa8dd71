"""One tenant's Idempotency-Key: the request it was first used for, and the response to replay."""

from uuid import uuid4

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime


class StoredResponse(BaseModel):
    """What a replay sends back: the first response's status, content type and body."""

    status: int
    content_type: str | None
    body: bytes


class IdempotencyRecord(Document):
    id: str  # type: ignore[assignment]  # "<gerant_id>:<Idempotency-Key>": the lock across processes
    fingerprint: str
    lock_id: str
    locked_at: UtcDateTime
    # What the request's creates are marked with (models/operations.py): kept when an abandoned
    # request is taken over, so the retry finds what the first attempt created.
    operation_id: str = Field(default_factory=lambda: uuid4().hex)
    response: StoredResponse | None = None  # None while the first request is running
    expires_at: UtcDateTime

    class Settings:
        name = "idempotency_records"
        indexes = [
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]
