"""GET /events and /events/{event_id} over HTTP on SecantusDB: exact shapes, pages, and every
refusal with its status and message. Events are stored directly (the recorder lands apart)."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from models import Event, User
from models.ids import new_id
from tests.support.events import STORE_OBJECT, feed_key, record_event
from tests.support.factories import make_gerant, make_store
from tests.support.transport import rest

pytestmark = pytest.mark.usefixtures("client")

T0 = datetime.fromisoformat("2026-11-20T10:00:00.250000+00:00")
STORE = STORE_OBJECT
EVENTS_READ_MISSING = messages.INSUFFICIENT_PERMISSIONS.format(permission="events:read")


async def record(gerant: User, type: str, seconds: int, **data: Any) -> Event:
    return await record_event(gerant.id, type, T0 + timedelta(seconds=seconds), **data)


def wire(event: Event, created_at: str, **data: Any) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "created_at": created_at,
        "data": {"object": STORE, **data},
    }


async def feed(client: httpx.AsyncClient, query: str, key: str) -> httpx.Response:
    return await client.get(f"/api/integrations/events{query}", headers={"X-API-Key": key})


class TestRest:
    async def test_the_feed_oldest_first_in_pages(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        created = await record(gerant, "store.created", 0)
        updated = await record(
            gerant, "store.updated", 61, previous_attributes={"phone": "0102030405"}
        )
        synced = await record(gerant, "kpi.synced", 3600)
        key = await feed_key(gerant, ["events:read"])
        first = await feed(client, "?limit=2", key)
        assert (first.status_code, first.json()) == (
            200,
            {
                "events": [
                    wire(created, "2026-11-20T10:00:00Z"),
                    wire(
                        updated,
                        "2026-11-20T10:01:01Z",
                        previous_attributes={"phone": "0102030405"},
                    ),
                ],
                "has_more": True,
            },
        )
        rest_of = await feed(client, f"?limit=2&starting_after={updated.id}", key)
        assert rest_of.json() == {
            "events": [wire(synced, "2026-11-20T11:00:00Z")],
            "has_more": False,
        }
        assert (await feed(client, "", key)).json()["events"][2]["id"] == synced.id

    async def test_types_comma_separated_or_repeated(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        created = await record(gerant, "store.created", 0)
        await record(gerant, "user.created", 1)
        synced = await record(gerant, "kpi.synced", 2)
        key = await feed_key(gerant, ["events:read"])
        for query in ("?types=kpi.synced,store.created", "?types=kpi.synced&types=store.created"):
            listed = (await feed(client, query, key)).json()
            assert [e["id"] for e in listed["events"]] == [created.id, synced.id], query

    async def test_one_event(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        updated = await record(gerant, "store.updated", 0, previous_attributes={"phone": None})
        key = await feed_key(gerant, ["events:read"])
        got = await rest(client, "GET", f"/events/{updated.id}", key)
        assert (got.status, got.data) == (
            200,
            wire(updated, "2026-11-20T10:00:00Z", previous_attributes={"phone": None}),
        )

    @pytest.mark.parametrize(
        ("query", "detail"),
        [
            ("?limit=0", "limit: Input should be greater than or equal to 1"),
            ("?limit=101", "limit: Input should be less than or equal to 100"),
            (
                "?limit=ten",
                "limit: Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                "?types=store.created,store.renamed",
                "types: " + messages.UNKNOWN_EVENT_TYPES.format(names="store.renamed"),
            ),
            ("?starting_after=evt_unknown", messages.EVENT_CURSOR_UNKNOWN),
            ("?starting_after=", "starting_after: String should have at least 1 character"),
        ],
    )
    async def test_bad_query_parameters_are_400s(
        self, client: httpx.AsyncClient, query: str, detail: str
    ) -> None:
        key = await feed_key(await make_gerant(), ["events:read"])
        response = await feed(client, query, key)
        assert (response.status_code, response.json()) == (400, {"detail": detail})

    async def test_another_tenants_event_is_answered_as_an_unknown_one(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        foreign = await record(other, "store.created", 0)
        key = await feed_key(gerant, ["events:read"])
        answers = [
            (r.status, r.detail)
            for event_id in (foreign.id, new_id("evt"))
            for r in [await rest(client, "GET", f"/events/{event_id}", key)]
        ]
        assert answers == [(404, messages.EVENT_NOT_FOUND)] * 2
        starts = [
            (r.status_code, r.json())
            for event_id in (foreign.id, new_id("evt"))
            for r in [await feed(client, f"?starting_after={event_id}", key)]
        ]
        assert starts == [(400, {"detail": messages.EVENT_CURSOR_UNKNOWN})] * 2
        assert (await feed(client, "", key)).json() == {"events": [], "has_more": False}

    async def test_who_may_read(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        event = await record(gerant, "store.created", 0)
        without = await feed_key(gerant, ["stores:read", "users:read", "kpi:read"])
        restricted = await feed_key(gerant, ["events:read"], [store.id])
        expected = [
            (without, 403, EVENTS_READ_MISSING),
            (restricted, 403, messages.EVENTS_STORE_RESTRICTED),
            (None, 401, messages.MISSING_API_KEY),
        ]
        for key, status, detail in expected:
            for path in ("/events", f"/events/{event.id}"):
                answer = await rest(client, "GET", path, key)
                assert (answer.status, answer.detail) == (status, detail), (path, key)
