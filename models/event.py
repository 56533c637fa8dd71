"""The event log: one document for each change of a tenant's state, written in the change's own
transaction; integrators read it (the events feed) and receive it (webhooks)."""

from functools import partial
from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import new_id


class Event(Document):
    """`data` is `{"object": <the resource as REST renders it>}`, plus `"previous_attributes"`
    (the changed fields' former values) for updates; kept until `expires_at` (a TTL index)."""

    id: str = Field(default_factory=partial(new_id, "evt"))  # type: ignore[assignment]
    gerant_id: str
    type: str
    created_at: UtcDateTime = Field(default_factory=utcnow)
    data: dict[str, Any]
    expires_at: UtcDateTime
    # Until the delivery workers have made its deliveries, one per endpoint subscribed to it.
    to_dispatch: bool = True

    class Settings:
        name = "events"
        indexes = [
            # The feed: a tenant's events, oldest first; ids sort by creation within a tie.
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)],
                name="tenant_feed",
            ),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
            IndexModel(
                [("created_at", ASCENDING)],
                partialFilterExpression={"to_dispatch": True},
                name="to_dispatch",
            ),
        ]
