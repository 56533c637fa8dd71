"""Rollups equal the raw sums after every step, whatever happens: random syncs, re-syncs of a
seller's day, deleted sellers, sellers moving to another store and their days synced there again
(property-based, on mongomock); and rebuilding them is idempotent and goes on after an
interruption.

No operation moves a seller yet: a move writes his `store_id` directly, as one would, and the
sync rules already take a seller's day from the store he left (kpi_rollups.rollup_writes)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock
from uuid import uuid4

import pytest
from beanie import Document, init_beanie
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from models import DOCUMENT_MODELS, KpiEntry, KpiRollup, Role, Store, User, transactions
from resolvers.actor import Actor
from resolvers.auth import actor_for_user
from resolvers.errors import BadRequest
from resolvers.kpi import KpiSync, sync_kpis
from resolvers.kpi_rollups import check_rollups, rebuild_rollups
from resolvers.users import delete_user
from resolvers.validation import parse
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.kpi_history import AWKWARD_DAYS, make_awkward_amounts

DAYS = ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"]
SELLERS_PER_STORE = (3, 2)
SELLERS = sum(SELLERS_PER_STORE)

Figures = tuple[int, int, int, int]  # cents and counts


@dataclass(frozen=True)
class Sync:
    """A store syncs a day for some of its sellers (by their place in its staff, modulo)."""

    store: int
    day: int
    figures: dict[int, Figures]


@dataclass(frozen=True)
class Delete:
    store: int
    seller: int


@dataclass(frozen=True)
class Move:
    """A seller of `store` moves to the other store; with `resync`, the new store then syncs
    every day he has an entry (in his former store) with these figures."""

    store: int
    seller: int
    resync: Figures | None


figures = st.tuples(
    st.integers(0, 10_000_000), st.integers(0, 50), st.integers(0, 90), st.integers(0, 99)
)
places = st.integers(0, SELLERS - 1)


@st.composite
def syncs(draw: st.DrawFn) -> Sync:
    store = draw(st.integers(0, len(SELLERS_PER_STORE) - 1))
    chosen = draw(st.dictionaries(places, figures, min_size=1, max_size=3))
    return Sync(store=store, day=draw(st.integers(0, len(DAYS) - 1)), figures=chosen)


deletes = st.builds(Delete, store=st.integers(0, 1), seller=places)
moves = st.builds(Move, store=st.integers(0, 1), seller=places, resync=st.none() | figures)
operations = st.lists(
    st.one_of(syncs(), syncs(), syncs(), deletes, moves, moves), min_size=1, max_size=12
)


@asynccontextmanager
async def no_transaction(_document: type[Document]) -> AsyncIterator[None]:
    yield None


async def fresh_database() -> None:
    client: Any = AsyncMongoMockClient(tz_aware=True)
    database = client[f"unit_{uuid4().hex}"]
    await init_beanie(database=database, document_models=DOCUMENT_MODELS, skip_indexes=True)


@contextmanager
def without_transactions() -> Iterator[None]:
    with mock.patch.object(transactions, "transaction", no_transaction):
        yield


@dataclass
class Tenant:
    actor: Actor
    stores: list[Store]
    staff: list[list[User]]  # each store's sellers, as they move

    def seller(self, store: int, place: int) -> User | None:
        members = self.staff[store]
        return members[place % len(members)] if members else None


async def make_tenant() -> Tenant:
    gerant = await make_gerant()
    stores = [await make_store(gerant) for _ in SELLERS_PER_STORE]
    staff = [
        [await make_user(gerant, Role.SELLER, store) for _ in range(count)]
        for store, count in zip(stores, SELLERS_PER_STORE, strict=True)
    ]
    return Tenant(actor_for_user(gerant), stores, staff)


async def sync(tenant: Tenant, store: int, day: str, entries: dict[str, Figures]) -> None:
    """Sync `entries` (by seller id); a sync refused (a deleted seller) changes nothing."""
    data = {
        "store_id": tenant.stores[store].id,
        "date": day,
        "kpi_entries": [
            {
                "seller_id": seller_id,
                "ca_journalier": Decimal(cents) / 100,
                "nb_ventes": ventes,
                "nb_articles": articles,
                "prospects": prospects,
            }
            for seller_id, (cents, ventes, articles, prospects) in entries.items()
        ],
    }
    try:
        await sync_kpis(actor=tenant.actor, data=parse(KpiSync, data))
    except BadRequest:
        pass


async def move(tenant: Tenant, step: Move) -> None:
    user = tenant.seller(step.store, step.seller)
    if user is None:
        return
    to = 1 - step.store
    tenant.staff[step.store].remove(user)
    tenant.staff[to].append(user)
    await User.find_one({"_id": user.id}).update({"$set": {"store_id": tenant.stores[to].id}})
    if step.resync is not None:
        for day in sorted(await KpiEntry.distinct("date", {"seller_id": user.id})):
            await sync(tenant, to, day, {user.id: step.resync})


async def apply_step(tenant: Tenant, step: Sync | Delete | Move) -> None:
    if isinstance(step, Move):
        await move(tenant, step)
    elif isinstance(step, Delete):
        user = tenant.seller(step.store, step.seller)
        if user is not None:
            with contextlib.suppress(BadRequest):  # already deleted
                await delete_user(actor=tenant.actor, user_id=user.id)
    else:
        entries: dict[str, Figures] = {}
        for place, values in step.figures.items():
            user = tenant.seller(step.store, place)
            if user is not None:
                entries[user.id] = values
        if entries:
            await sync(tenant, step.store, DAYS[step.day], entries)


async def apply(steps: list[Sync | Delete | Move]) -> Tenant:
    tenant = await make_tenant()
    for step in steps:
        await apply_step(tenant, step)
    return tenant


async def scenario(steps: list[Sync | Delete | Move]) -> None:
    await fresh_database()
    tenant = await make_tenant()
    for n, step in enumerate(steps, 1):
        await apply_step(tenant, step)
        assert await check_rollups() == [], f"after step {n}: {step}"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(operations)
def test_rollups_always_equal_the_raw_sums(steps: list[Sync | Delete | Move]) -> None:
    with without_transactions():
        asyncio.run(scenario(steps))


@pytest.mark.usefixtures("mock_db")
class TestRebuild:
    async def test_rebuilds_what_was_lost_or_damaged_and_then_writes_nothing(self) -> None:
        await apply(
            [Sync(0, 0, {0: (1250, 1, 2, 3), 1: (99, 1, 1, 1)}), Sync(1, 3, {0: (5, 0, 0, 0)})]
        )
        assert await check_rollups() == []
        rollups = KpiRollup.get_motor_collection()
        await rollups.delete_one({"kind": "store_day"})
        await rollups.update_one({"kind": "store_month"}, {"$inc": {"ca_cents": 1}})
        await rollups.insert_one(
            {"_id": "stray", "kind": "store_month", "store_id": "x", "gerant_id": "g", "entries": 1}
        )
        assert len(await check_rollups()) == 3
        lines: list[str] = []
        assert await rebuild_rollups(progress=lines.append) >= 3
        assert await check_rollups() == []
        assert await rebuild_rollups(progress=lines.append) == 0
        assert any(line.startswith("store 1/") for line in lines)

    async def test_a_rebuild_cut_short_goes_on_after_the_last_store_done(self) -> None:
        await apply([Sync(0, 0, {0: (100, 1, 1, 1)}), Sync(1, 1, {1: (200, 2, 2, 2)})])
        await KpiRollup.get_motor_collection().delete_many({})

        def stop_after_first_store(line: str) -> None:
            if line.startswith("store 1/"):
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            await rebuild_rollups(progress=stop_after_first_store)
        assert await check_rollups() != []
        resumed: list[str] = []
        await rebuild_rollups(progress=resumed.append)
        assert resumed[0].startswith("store 1/1 ")  # the second store only
        assert await check_rollups() == []


@pytest.mark.usefixtures("mock_db")
async def test_awkward_amounts_are_rolled_up_to_the_exact_cent() -> None:
    """Fixed totals, not sums recomputed the same way: a conversion through binary floats
    would lose a cent on 0.29, 0.57, 1.13 and 19.99."""
    awkward = await make_awkward_amounts()
    first, second, third = (seller.id for seller in awkward.sellers)
    found = {
        (document["kind"], document["period"]): document
        async for document in KpiRollup.get_motor_collection().find({})
    }
    day1, day2 = AWKWARD_DAYS
    assert {key: document["ca_cents"] for key, document in found.items()} == {
        ("store_day", day1): 199,
        ("store_day", day2): 127004,
        ("store_month", "2025-02"): 127203,
    }
    month = found[("store_month", "2025-02")]
    assert json.loads(month["days"]) == {day1: [199, 3, 6, 9, 3], day2: [127004, 2, 4, 6, 2]}
    assert json.loads(month["sellers"]) == {
        first: [2028, 2, 4, 6, 2],
        second: [125062, 2, 4, 6, 2],
        third: [113, 1, 2, 3, 1],
    }
    assert await check_rollups() == []
