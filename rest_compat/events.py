"""REST: GET /events (the tenant's events feed, oldest first) and GET /events/{event_id}."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from contract import messages
from contract.inputs import Identifier, omittable
from contract.permissions import Permission
from contract.representations import Timestamp, event_json
from models import Event as EventDocument
from resolvers import event_feed
from resolvers.pagination import MAX_PAGE
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, Responses, error, success
from rest_compat.stores import STORE_EXAMPLE_OUT

router = APIRouter(tags=["events"])

FORBIDDEN: Responses = {
    403: error(
        "Permission events:read missing, or a key restricted by store_ids (the feed covers "
        "every store of the tenant)",
        messages.INSUFFICIENT_PERMISSIONS.format(permission=Permission.EVENTS_READ.value),
    )
}
LIST_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "An unknown event type, a limit out of 1-100, or a starting_after that is not one of "
        "the tenant's events still kept",
        messages.EVENT_CURSOR_UNKNOWN,
    ),
    **FORBIDDEN,
}
GET_ERRORS: Responses = {
    **AUTH_ERRORS,
    **FORBIDDEN,
    404: error("No such event in the key's tenant (or no longer kept)", messages.EVENT_NOT_FOUND),
}

EVENT_EXAMPLE: dict[str, Any] = {
    "id": "evt_6753c0ffee0123456789abcd",
    "type": "store.updated",
    "created_at": "2024-01-16T08:30:00Z",
    "data": {
        "object": {**STORE_EXAMPLE_OUT, "phone": "0144556677"},
        "previous_attributes": {"phone": "0123456789"},
    },
}
LIST_EXAMPLE = {"events": [EVENT_EXAMPLE], "has_more": False}


class EventData(BaseModel):
    object: dict[str, Any] = Field(
        description="The resource the event is about, exactly as the REST API renders it, as "
        "it was once the change was made"
    )
    previous_attributes: dict[str, Any] | None = Field(
        default=None,
        description="Updates only: the former values of the fields that changed",
        json_schema_extra=omittable,
    )


class Event(BaseModel):
    """One change of the tenant's state, kept 30 days."""

    id: str = Field(description="`evt_…`; the same id in the feed and in webhooks")
    type: str = Field(description="`store.created`, `user.updated`, `kpi.synced`, …")
    created_at: Timestamp
    data: EventData


class EventList(BaseModel):
    events: list[Event]
    has_more: bool = Field(description="Whether more events follow: ask with starting_after")


class EventListQuery(event_feed.EventFilter):
    """The feed's query string: types, then Stripe-style pagination."""

    limit: int = Field(default=10, ge=1, le=MAX_PAGE, description="How many events, 1 to 100")
    starting_after: Identifier | None = Field(
        default=None,
        description="The id of the last event read: the page starts with the next one",
    )


def event_out(event: EventDocument) -> Event:
    """The event as `event_json` renders it; fields it leaves out stay out (unset)."""
    return Event.model_validate(event_json(event))


@router.get(
    "/events",
    responses={**success(LIST_EXAMPLE), **LIST_ERRORS},
    response_model_exclude_unset=True,
)
async def list_events(actor: CurrentActor, query: Annotated[EventListQuery, Query()]) -> EventList:
    """The tenant's events, oldest first (permission events:read; keys restricted by
    store_ids are refused): follow the feed by passing the last id read as `starting_after`."""
    page = await event_feed.list_events(
        actor=actor, filter=query, limit=query.limit, starting_after=query.starting_after
    )
    return EventList(events=[event_out(event) for event in page.items], has_more=page.has_next_page)


@router.get(
    "/events/{event_id}",
    responses={**success(EVENT_EXAMPLE), **GET_ERRORS},
    response_model_exclude_unset=True,
)
async def get_event(actor: CurrentActor, event_id: str) -> Event:
    """One event of the tenant (permission events:read); another tenant's id is a 404."""
    return event_out(await event_feed.get_event(actor=actor, event_id=event_id))
