"""The event log's writer: each change of a tenant's state records its event with the session
of the change's own transaction, so the two commit, or abort, together."""

from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import BaseModel

from contract.event_types import EventType
from infra.event_log import EventLog
from models import Event
from models.clock import utcnow
from models.ids import new_id
from resolvers import scopes


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
    now = utcnow()
    return Event(
        gerant_id=gerant_id,
        type=type.value,
        created_at=now,
        data=_data(resource, previous_attributes),
        expires_at=log.expiry(now),
    )


def _data(resource: BaseModel, previous_attributes: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"object": resource.model_dump(mode="json")}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return data


def event_document(
    *,
    log: EventLog,
    gerant_id: str,
    type: EventType,
    resource: BaseModel,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as the driver writes it: the Event model and Beanie's insert added a third to
    the event's CPU on a sync (measured with bench/event_cost.py); the model reads it back
    (its fields are these)."""
    now = utcnow()
    return scopes.new_document(
        gerant_id,
        _id=new_id("evt"),
        type=type.value,
        created_at=now,
        data=_data(resource, previous_attributes),
        expires_at=log.expiry(now),
        to_dispatch=True,
    )


async def record(
    session: AsyncIOMotorClientSession,
    *,
    log: EventLog,
    gerant_id: str,
    type: EventType,
    resource: BaseModel,
    previous_attributes: dict[str, Any] | None = None,
) -> None:
    """Record one event in the transaction of `session`."""
    document = event_document(
        log=log,
        gerant_id=gerant_id,
        type=type,
        resource=resource,
        previous_attributes=previous_attributes,
    )
    await Event.get_motor_collection().insert_one(document, session=session)


async def record_all(session: AsyncIOMotorClientSession, events: list[Event]) -> None:
    """Record several events in the transaction of `session`, in one command."""
    if events:
        await Event.insert_many(events, session=session)
