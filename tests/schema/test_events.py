"""The events feed over GraphQL on SecantusDB: the `events` connection and `event`, with the
answers REST gives. Events are stored directly (the recorder lands apart)."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from models import Event, User
from models.ids import new_id
from resolvers.pagination import encode_cursor
from tests.support.events import STORE_OBJECT, feed_key, record_event
from tests.support.factories import make_gerant, make_store
from tests.support.transport import graphql

pytestmark = pytest.mark.usefixtures("client")

T0 = datetime.fromisoformat("2026-11-20T10:00:00.250000+00:00")
STORE = STORE_OBJECT
EVENTS_READ_MISSING = messages.INSUFFICIENT_PERMISSIONS.format(permission="events:read")
EVENTS = """query($filter: EventFilter, $first: Int, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id type createdAt data } }
    pageInfo { hasNextPage endCursor } } }"""
EVENT = "query($id: ID!) { event(id: $id) { id type createdAt data } }"


async def record(gerant: User, type: str, seconds: int, **data: Any) -> Event:
    return await record_event(gerant.id, type, T0 + timedelta(seconds=seconds), **data)


class TestGraphql:
    async def test_the_connection_oldest_first(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        created = await record(gerant, "store.created", 0)
        updated = await record(gerant, "store.updated", 1, previous_attributes={"phone": None})
        synced = await record(gerant, "kpi.synced", 2)
        key = await feed_key(gerant, ["events:read"])
        first = await graphql(client, EVENTS, key, {"first": 2})
        assert first.status == 200
        assert first.data == {
            "edges": [
                {
                    "cursor": encode_cursor([created.id]),
                    "node": {
                        "id": created.id,
                        "type": "store.created",
                        "createdAt": "2026-11-20T10:00:00Z",
                        "data": {"object": STORE},
                    },
                },
                {
                    "cursor": encode_cursor([updated.id]),
                    "node": {
                        "id": updated.id,
                        "type": "store.updated",
                        "createdAt": "2026-11-20T10:00:01Z",
                        "data": {"object": STORE, "previous_attributes": {"phone": None}},
                    },
                },
            ],
            "pageInfo": {"hasNextPage": True, "endCursor": encode_cursor([updated.id])},
        }
        after = first.data["pageInfo"]["endCursor"]
        rest_of = await graphql(client, EVENTS, key, {"first": 2, "after": after})
        assert [edge["node"]["id"] for edge in rest_of.data["edges"]] == [synced.id]
        assert rest_of.data["pageInfo"] == {
            "hasNextPage": False,
            "endCursor": encode_cursor([synced.id]),
        }
        only = await graphql(client, EVENTS, key, {"filter": {"types": ["kpi.synced"]}})
        assert [edge["node"]["id"] for edge in only.data["edges"]] == [synced.id]

    async def test_one_event_and_the_same_answers_as_rest(self, client: httpx.AsyncClient) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        own = await record(gerant, "store.created", 0)
        foreign = await record(other, "store.created", 0)
        key = await feed_key(gerant, ["events:read"])
        got = await graphql(client, EVENT, key, {"id": own.id})
        assert got.data == {
            "id": own.id,
            "type": "store.created",
            "createdAt": "2026-11-20T10:00:00Z",
            "data": {"object": STORE},
        }
        for event_id in (foreign.id, new_id("evt")):
            missing = await graphql(client, EVENT, key, {"id": event_id})
            assert (missing.status, missing.detail) == (404, messages.EVENT_NOT_FOUND)
            after = encode_cursor([event_id])
            start = await graphql(client, EVENTS, key, {"after": after})
            assert (start.status, start.detail) == (400, messages.EVENT_CURSOR_UNKNOWN)

    @pytest.mark.parametrize(
        ("variables", "detail"),
        [
            (
                {"filter": {"types": ["store.renamed"]}},
                "types: " + messages.UNKNOWN_EVENT_TYPES.format(names="store.renamed"),
            ),
            ({"first": 101}, messages.PAGE_SIZE_RANGE.format(maximum=100)),
            ({"after": "not a cursor"}, messages.INVALID_CURSOR),
        ],
    )
    async def test_bad_arguments_are_400s(
        self, client: httpx.AsyncClient, variables: dict[str, Any], detail: str
    ) -> None:
        key = await feed_key(await make_gerant(), ["events:read"])
        answer = await graphql(client, EVENTS, key, variables)
        assert (answer.status, answer.detail) == (400, detail)

    async def test_who_may_read(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        event = await record(gerant, "store.created", 0)
        without = await feed_key(gerant, ["stores:read"])
        restricted = await feed_key(gerant, ["events:read"], [store.id])
        for key, detail in (
            (without, EVENTS_READ_MISSING),
            (restricted, messages.EVENTS_STORE_RESTRICTED),
        ):
            for query, variables in ((EVENTS, {}), (EVENT, {"id": event.id})):
                answer = await graphql(client, query, key, variables)
                assert (answer.status, answer.detail) == (403, detail)
