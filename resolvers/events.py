"""The event log's writer: each change of a tenant's state records its event with the session
of the change's own transaction, so the two commit, or abort, together."""

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import BaseModel

from contract.event_types import EventType
from infra.event_log import EventLog
from models import Event
from models.clock import utcnow


def new_event(
    *,
    log: EventLog,
    gerant_id: str,
    type: EventType,
    resource: BaseModel,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """An event of the tenant `gerant_id` about `resource` (its REST representation);
    `previous_attributes` for updates only."""
    data: dict[str, Any] = {"object": resource.model_dump(mode="json")}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    now = utcnow()
    return Event(
        gerant_id=gerant_id,
        type=type.value,
        created_at=now,
        data=data,
        expires_at=log.expiry(now),
    )


async def record(
    session: AsyncIOMotorClientSession,
    *,
    log: EventLog,
    gerant_id: str,
    type: EventType,
    resource: BaseModel,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """Record one event in the transaction of `session`."""
    event = new_event(
        log=log,
        gerant_id=gerant_id,
        type=type,
        resource=resource,
        previous_attributes=previous_attributes,
    )
    await event.insert(session=session)
    return event


async def record_all(session: AsyncIOMotorClientSession, events: list[Event]) -> None:
    """Record several events in the transaction of `session`, in one command."""
    if events:
        await Event.insert_many(events, session=session)
