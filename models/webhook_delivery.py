"""Webhook deliveries: one document for each event to send to each endpoint subscribed to it,
with its attempts; the delivery workers claim them under a lease, like the invitation outbox."""

from enum import StrEnum
from functools import partial

from beanie import Document
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import new_id


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt at next_attempt_at
    SENDING = "sending"  # claimed by a worker until next_attempt_at (the lease's end)
    DELIVERED = "delivered"  # a 2xx answered
    FAILED = "failed"  # every attempt of the schedule failed, or its endpoint is gone


class DeliveryAttemptRecord(BaseModel):
    """One attempt as the deliveries list shows it (the answer's body is not kept)."""

    attempt: int
    at: UtcDateTime
    status_code: int | None
    duration_ms: int
    error: str | None


class WebhookDelivery(Document):
    id: str = Field(default_factory=partial(new_id, "whd"))  # type: ignore[assignment]
    gerant_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: list[DeliveryAttemptRecord] = Field(default_factory=list)
    next_attempt_at: UtcDateTime | None = Field(default_factory=utcnow)
    lease_owner: str | None = None  # the claim token of the worker holding the lease
    created_at: UtcDateTime = Field(default_factory=utcnow)
    expires_at: UtcDateTime  # kept as long as its event

    class Settings:
        name = "webhook_deliveries"
        indexes = [
            # One delivery of an event per endpoint, however many workers fan it out.
            IndexModel(
                [("endpoint_id", ASCENDING), ("event_id", ASCENDING)],
                unique=True,
                name="endpoint_event_unique",
            ),
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"),
            IndexModel(
                [("gerant_id", ASCENDING), ("endpoint_id", ASCENDING), ("created_at", DESCENDING)],
                name="endpoint_deliveries",
            ),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]
