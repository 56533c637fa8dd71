"""Events stored as the recorder stores them, for tests of what reads the log."""

from datetime import datetime, timedelta
from typing import Any

from models import Event
from models.ids import new_id

# What a `store.*` event carries as its object in these tests: a store as REST renders it.
STORE_OBJECT: dict[str, Any] = {
    "id": "store_1",
    "name": "Magasin Lyon Centre",
    "location": "69001 Lyon",
    "address": None,
    "phone": "0472000000",
    "opening_hours": None,
    "gerant_id": "usr_1",
    "active": True,
    "created_at": "2026-11-20T09:00:00Z",
    "external_id": "LYON-001",
}


async def record_event(
    gerant_id: str,
    type: str,
    at: datetime,
    event_id: str | None = None,
    **data: Any,
) -> Event:
    """An event of the tenant at `at`, its object a store, plus `data` (previous_attributes)."""
    event = Event(
        id=event_id or new_id("evt"),
        gerant_id=gerant_id,
        type=type,
        created_at=at,
        data={"object": STORE_OBJECT, **data},
        expires_at=at + timedelta(days=30),
    )
    await event.insert()
    return event
