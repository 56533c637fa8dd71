"""GraphQL: the tenant's events feed, as a connection read oldest first, and one event."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from contract.representations import event_json
from contract.validation import parse
from models import Event as EventDocument
from resolvers import event_feed
from resolvers.pagination import decode_cursor
from schema.access import Caller
from schema.common import Connection, connection
from schema.context import Info


@strawberry.type(description="One change of the tenant's state, kept 30 days.")
class Event:
    id: strawberry.ID
    type: str = strawberry.field(description="`store.created`, `user.updated`, `kpi.synced`, …")
    created_at: datetime
    data: JSON = strawberry.field(
        description="`{object, previous_attributes}` as REST gives it: the resource exactly as "
        "the REST API renders it (snake_case), and for updates the changed fields' former values."
    )


@strawberry.input(description="Which events to list: any of `types` (none: every type).")
class EventFilter:
    types: list[str] | None = None


def event_type(event: EventDocument) -> Event:
    rendered = event_json(event)
    return Event(
        id=strawberry.ID(event.id),
        type=event.type,
        created_at=event.created_at,
        data=rendered["data"],
    )


@strawberry.type
class EventQuery:
    @strawberry.field(
        description="The tenant's events, oldest first, a page at a time (permission "
        "events:read; keys restricted by store_ids are refused; `first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Event]:
        event_filter = parse(
            event_feed.EventFilter, {"types": filter.types if filter is not None else None}
        )
        page = await event_feed.list_events(
            actor=info.context.actor(),
            filter=event_filter,
            limit=first,
            starting_after=None if after is None else decode_cursor(after, 1)[0],
        )
        return connection(page, event_type)

    @strawberry.field(
        description="One event of the tenant (permission events:read); another tenant's is "
        "NOT_FOUND.",
        permission_classes=[Caller],
    )
    async def event(self, info: Info, id: strawberry.ID) -> Event:
        return event_type(await event_feed.get_event(actor=info.context.actor(), event_id=id))
