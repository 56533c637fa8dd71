"""Rules of the events feed, on mongomock: oldest first, types, starting_after, pages, the
tenant's events only, and who may read them."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.representations import event_json
from contract.validation import parse
from models import Event, User
from models.clock import utcnow
from models.ids import new_id
from resolvers.event_feed import EventFilter, get_event, list_events
from tests.support.events import feed_actor, record_event
from tests.support.factories import make_gerant, make_store

pytestmark = pytest.mark.usefixtures("mock_db")

T0 = datetime.fromisoformat("2026-11-20T10:00:00+00:00")
EVERY = EventFilter()


async def record(
    gerant: User, type: str = "store.created", at: datetime = T0, event_id: str | None = None
) -> Event:
    return await record_event(gerant.id, type, at, event_id)


async def ids(actor: Actor, *, limit: int = 10, after: str | None = None, **f: Any) -> list[str]:
    page = await list_events(
        actor=actor, filter=parse(EventFilter, f), limit=limit, starting_after=after
    )
    return [event.id for event in page.items]


class TestOrder:
    async def test_oldest_first_then_by_id_within_one_instant(self) -> None:
        gerant = await make_gerant()
        late = await record(gerant, at=T0 + timedelta(seconds=5))
        tie_b = await record(gerant, event_id="evt_b")
        tie_a = await record(gerant, event_id="evt_a")
        early = await record(gerant, at=T0 - timedelta(days=1))
        actor = await feed_actor(gerant)
        assert await ids(actor) == [early.id, tie_a.id, tie_b.id, late.id]

    async def test_pages_follow_one_another_with_has_more(self) -> None:
        gerant = await make_gerant()
        events = [await record(gerant, at=T0 + timedelta(seconds=i)) for i in range(5)]
        actor = await feed_actor(gerant)
        seen: list[str] = []
        pages: list[bool] = []
        after = None
        while True:
            page = await list_events(actor=actor, filter=EVERY, limit=2, starting_after=after)
            seen += [event.id for event in page.items]
            pages.append(page.has_next_page)
            if not page.has_next_page:
                break
            after = page.items[-1].id
        assert seen == [event.id for event in events]
        assert pages == [True, True, False]

    async def test_a_page_of_exactly_what_is_left_has_no_more(self) -> None:
        gerant = await make_gerant()
        for i in range(3):
            await record(gerant, at=T0 + timedelta(seconds=i))
        page = await list_events(
            actor=await feed_actor(gerant), filter=EVERY, limit=3, starting_after=None
        )
        assert (len(page.items), page.has_next_page) == (3, False)

    async def test_starting_after_a_tie_resumes_within_it(self) -> None:
        gerant = await make_gerant()
        first = await record(gerant, event_id="evt_a")
        second = await record(gerant, event_id="evt_b")
        later = await record(gerant, at=T0 + timedelta(seconds=1), event_id="evt_0")
        actor = await feed_actor(gerant)
        assert await ids(actor, after=first.id) == [second.id, later.id]
        assert await ids(actor, after=later.id) == []


class TestTypes:
    async def test_only_the_types_asked_for(self) -> None:
        gerant = await make_gerant()
        store = await record(gerant, "store.created")
        await record(gerant, "user.created", at=T0 + timedelta(seconds=1))
        sync = await record(gerant, "kpi.synced", at=T0 + timedelta(seconds=2))
        actor = await feed_actor(gerant)
        assert await ids(actor, types="kpi.synced, store.created") == [store.id, sync.id]
        assert await ids(actor, types=["kpi.synced", "store.created"]) == [store.id, sync.id]
        assert await ids(actor, types="user.deleted") == []

    async def test_starting_after_an_event_of_another_type(self) -> None:
        gerant = await make_gerant()
        user = await record(gerant, "user.created")
        store = await record(gerant, "store.created", at=T0 + timedelta(seconds=1))
        actor = await feed_actor(gerant)
        assert await ids(actor, types="store.created", after=user.id) == [store.id]

    async def test_no_type_or_blanks_mean_every_type(self) -> None:
        assert parse(EventFilter, {"types": " , "}).types is None
        assert parse(EventFilter, {"types": []}).types is None
        assert parse(EventFilter, {"types": "user.updated,store.created,user.updated"}).types == [
            "store.created",
            "user.updated",
        ]

    def test_an_unknown_type_is_a_400_naming_it(self) -> None:
        with pytest.raises(BadRequest) as refused:
            parse(EventFilter, {"types": "store.created,store.renamed,kpi.sync"})
        assert refused.value.message == "types: " + messages.UNKNOWN_EVENT_TYPES.format(
            names="kpi.sync, store.renamed"
        )


class TestLimits:
    @pytest.mark.parametrize("limit", [0, 101])
    async def test_a_limit_out_of_range_is_a_400(self, limit: int) -> None:
        actor = await feed_actor(await make_gerant())
        with pytest.raises(BadRequest) as refused:
            await list_events(actor=actor, filter=EVERY, limit=limit, starting_after=None)
        assert refused.value.message == messages.PAGE_SIZE_RANGE.format(maximum=100)

    async def test_a_hundred_at_most(self) -> None:
        gerant = await make_gerant()
        for i in range(101):
            await record(gerant, at=T0 + timedelta(seconds=i))
        page = await list_events(
            actor=await feed_actor(gerant), filter=EVERY, limit=100, starting_after=None
        )
        assert (len(page.items), page.has_next_page) == (100, True)


class TestTenant:
    async def test_another_tenants_events_are_not_listed(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        own = await record(gerant)
        await record(other)
        assert await ids(await feed_actor(gerant)) == [own.id]

    async def test_another_tenants_id_to_start_after_is_refused_as_an_unknown_one(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        await record(gerant)
        foreign = await record(other)
        actor = await feed_actor(gerant)
        answers = []
        for after in (foreign.id, new_id("evt"), "evt_nothing"):
            with pytest.raises(BadRequest) as refused:
                await ids(actor, after=after)
            answers.append(refused.value.message)
        assert answers == [messages.EVENT_CURSOR_UNKNOWN] * 3

    async def test_another_tenants_event_is_not_found_as_an_unknown_one(self) -> None:
        gerant, other = await make_gerant(), await make_gerant()
        foreign = await record(other)
        actor = await feed_actor(gerant)
        answers = []
        for event_id in (foreign.id, new_id("evt")):
            with pytest.raises(NotFound) as refused:
                await get_event(actor=actor, event_id=event_id)
            answers.append(refused.value.message)
        assert answers == [messages.EVENT_NOT_FOUND] * 2

    async def test_an_own_event_is_found(self) -> None:
        gerant = await make_gerant()
        own = await record(gerant)
        found = await get_event(actor=await feed_actor(gerant), event_id=own.id)
        assert found.id == own.id


class TestWhoReads:
    async def test_events_read_is_required(self) -> None:
        gerant = await make_gerant()
        own = await record(gerant)
        actor = await feed_actor(gerant, ["stores:read", "users:read", "kpi:read"])
        expected = messages.INSUFFICIENT_PERMISSIONS.format(permission="events:read")
        with pytest.raises(Forbidden) as listing:
            await ids(actor)
        with pytest.raises(Forbidden) as getting:
            await get_event(actor=actor, event_id=own.id)
        assert [listing.value.message, getting.value.message] == [expected, expected]

    async def test_a_key_restricted_to_stores_reads_no_event(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        own = await record(gerant)
        actor = await feed_actor(gerant, ["events:read"], [store.id])
        with pytest.raises(Forbidden) as listing:
            await ids(actor)
        with pytest.raises(Forbidden) as getting:
            await get_event(actor=actor, event_id=own.id)
        assert [listing.value.message, getting.value.message] == [
            messages.EVENTS_STORE_RESTRICTED
        ] * 2

    async def test_a_key_on_every_store_reads_them(self) -> None:
        gerant = await make_gerant()
        own = await record(gerant)
        assert await ids(await feed_actor(gerant, ["events:read"], ["*"])) == [own.id]


class TestJson:
    def test_an_event_as_the_wire_carries_it(self) -> None:
        event = Event(
            id="evt_1",
            gerant_id="usr_t",
            type="store.updated",
            created_at=T0 + timedelta(microseconds=123000),
            data={"object": {"id": "store_1", "phone": None}, "previous_attributes": {"x": 1}},
            expires_at=utcnow(),
        )
        assert event_json(event) == {
            "id": "evt_1",
            "type": "store.updated",
            "created_at": "2026-11-20T10:00:00Z",
            "data": {"object": {"id": "store_1", "phone": None}, "previous_attributes": {"x": 1}},
        }

    def test_previous_attributes_only_when_stored(self) -> None:
        event = Event(
            gerant_id="usr_t",
            type="store.created",
            data={"object": {"id": "store_1"}},
            expires_at=utcnow(),
        )
        assert event_json(event)["data"] == {"object": {"id": "store_1"}}
