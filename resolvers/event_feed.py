"""The events feed: a tenant's event log read oldest first, a page at a time, and one event by
its id (permission events:read, for callers that see the whole tenant)."""

from typing import Annotated

from beanie import SortDirection
from pydantic import Field, StringConstraints, field_validator

from contract import event_types, messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.event_types import EVENT_TYPES
from contract.inputs import MAX_ID, Input, OneLine
from contract.permissions import Permission
from models.event import Event
from resolvers import scopes
from resolvers.pagination import MAX_PAGE, Page, check_page_size, page_of

EventTypeName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_ID), OneLine]
FEED_ORDER = [("created_at", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)]


class EventFilter(Input):
    """Which events to list: those of any of `types` (none given: every type)."""

    types: list[EventTypeName] | None = Field(
        default=None,
        max_length=MAX_PAGE,
        description="Event types, comma-separated (`store.created,user.updated`); "
        "default: every type",
    )

    @field_validator("types", mode="before")
    @classmethod
    def split_commas(cls, value: object) -> object:
        """`a,b` (Stripe's form in a query string) is the list `[a, b]`; blanks are dropped."""
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [name.strip() for item in value for name in item.split(",") if name.strip()]
        return value

    @field_validator("types")
    @classmethod
    def known_types(cls, value: list[str] | None) -> list[str] | None:
        """Every type named exists (a typo would silently match nothing); none means all."""
        if not value:
            return None
        return event_types.known(value)


def require_feed_reader(actor: Actor) -> None:
    """403 unless the caller holds events:read and sees the whole tenant: an event can concern
    any store, or none (a key, an invitation), so a key restricted by store_ids reads none."""
    actor.require(Permission.EVENTS_READ)
    if actor.is_store_restricted:
        raise Forbidden(messages.EVENTS_STORE_RESTRICTED)


def event_key(event: Event) -> tuple[str]:
    """Where an event stands in a page: its id, from which its place in the feed is read."""
    return (event.id,)


async def list_events(
    *, actor: Actor, filter: EventFilter, limit: int, starting_after: str | None
) -> Page[Event]:
    """The tenant's events of `filter.types`, oldest first (created_at, then id), `limit` at a
    time after the event `starting_after`. That event must be one of the tenant's still kept;
    an unknown, expired or other tenant's id is the same 400, which tells none apart."""
    require_feed_reader(actor)
    check_page_size(limit)
    # The contract's types only: a ping (sent to one endpoint by its gérant) is not the log's.
    query = scopes.events(actor.gerant_id, type={"$in": filter.types or list(EVENT_TYPES)})
    if starting_after is not None:
        anchor = await Event.find_one(scopes.events(actor.gerant_id, _id=starting_after))
        if anchor is None:
            raise BadRequest(messages.EVENT_CURSOR_UNKNOWN)
        query["$or"] = [
            {"created_at": {"$gt": anchor.created_at}},
            {"created_at": anchor.created_at, "_id": {"$gt": anchor.id}},
        ]
    found = await Event.find(query).sort(FEED_ORDER).limit(limit + 1).to_list()
    return page_of(found, limit, event_key)


async def get_event(*, actor: Actor, event_id: str) -> Event:
    """One of the tenant's events; 404 if unknown, expired or another tenant's (one answer:
    a distinct one would tell which ids exist elsewhere)."""
    require_feed_reader(actor)
    event = await Event.find_one(
        scopes.events(actor.gerant_id, _id=event_id, type={"$in": list(EVENT_TYPES)})
    )
    if event is None:
        raise NotFound(messages.EVENT_NOT_FOUND)
    return event
