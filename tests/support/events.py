"""Events stored as the recorder stores them, for tests of what reads the log."""

from datetime import datetime, timedelta
from typing import Any

from contract.actor import Actor
from models import Event, User
from models.clock import utcnow
from models.ids import new_id
from tests.support.factories import make_actor, make_key

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


async def _forget_key_events(gerant: User, since: datetime) -> None:
    """Drop what the setup recorded (a key's own `api_key.created`): a test of the feed reads
    only the events it stores itself."""
    await Event.get_motor_collection().delete_many(
        {"gerant_id": gerant.id, "type": "api_key.created", "created_at": {"$gte": since}}
    )


async def feed_key(
    gerant: User, permissions: list[str] | None = None, store_ids: list[str] | None = None
) -> str:
    """A key of the gérant's (`make_key`), its creation's event forgotten."""
    since = utcnow()
    key = await make_key(gerant, permissions, store_ids)
    await _forget_key_events(gerant, since)
    return key


async def feed_actor(
    gerant: User, permissions: list[str] | None = None, store_ids: list[str] | None = None
) -> Actor:
    """The caller a new key of the gérant's stands for (`make_actor`), its creation's event
    forgotten."""
    since = utcnow()
    actor = await make_actor(gerant, permissions, store_ids)
    await _forget_key_events(gerant, since)
    return actor
