"""Rollups equal the raw sums after every step, whatever happens: random syncs, re-syncs of a
seller's day, deleted sellers, sellers moving to another store and their days synced there again
(property-based, on mongomock); and rebuilding them is idempotent and goes on after an
interruption.

A move writes the seller's `store_id` and `moved` directly, as `move_seller` does, and the sync
rules take a seller's day from the store he left (kpi.rollup_writes)."""

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
from bson import Decimal128
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from contract.actor import Actor
from contract.credentials import actor_for_user
from contract.errors import BadRequest
from contract.validation import parse
from models import DOCUMENT_MODELS, KpiEntry, KpiRollup, Role, Store, User, transactions
from resolvers.kpi.figures import DayLine, day_checksum
from resolvers.kpi.figures import Figures as EntryFigures
from resolvers.kpi.rollup_admin import Difference, check_rollups, rebuild_rollups
from resolvers.kpi.sync import KpiSync, sync_kpis
from resolvers.users import delete_user
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.kpi_history import AWKWARD_DAYS, fold_all, make_awkward_amounts

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
    await User.find_one({"_id": user.id}).update(
        {"$set": {"store_id": tenant.stores[to].id, "moved": True}}
    )
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
    await fold_all()
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

    async def test_a_full_rebuild_starts_from_the_first_store_and_leaves_no_checkpoint(
        self,
    ) -> None:
        tenant = await apply([Sync(0, 0, {0: (100, 1, 1, 1)})])
        gerant_id, stores = tenant.actor.gerant_id, tenant.stores
        # A store whose id sorts before any other: the rebuild reads ids as opaque text.
        first = {"gerant_id": gerant_id, "store_id": "0", "seller_id": "s", "date": DAYS[0]}
        figures = {"ca_journalier": Decimal128("1.00"), "nb_ventes": 1, "nb_articles": 1}
        await KpiEntry.get_motor_collection().insert_one({**first, **figures, "prospects": 1})
        lines: list[str] = []
        await rebuild_rollups(progress=lines.append)
        assert lines == [
            "store 1/2 0: 2 rollups written",
            f"store 2/2 {stores[0].id}: 0 rollups written",
        ]
        assert await check_rollups() == []
        await KpiRollup.get_motor_collection().delete_one({"store_id": "0", "kind": "store_day"})
        again: list[str] = []
        await rebuild_rollups(progress=again.append)
        assert again[0] == "store 1/2 0: 1 rollups written"


@pytest.mark.usefixtures("mock_db")
async def test_awkward_amounts_are_rolled_up_to_the_exact_cent() -> None:
    """Fixed totals, not sums recomputed the same way: a conversion through binary floats
    would lose a cent on 0.29, 0.57, 1.13 and 19.99."""
    awkward = await make_awkward_amounts()
    await fold_all()
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


async def move_and_sync(actor: Actor, seller: User, store: Store, day: str) -> None:
    """Move `seller` to `store`, and sync his `day` there: 3.00 (3, 3, 3)."""
    await User.find_one({"_id": seller.id}).update({"$set": {"store_id": store.id, "moved": True}})
    entry = {
        "seller_id": seller.id,
        "ca_journalier": "3.00",
        "nb_ventes": 3,
        "nb_articles": 3,
        "prospects": 3,
    }
    data = {"store_id": store.id, "date": day, "kpi_entries": [entry]}
    await sync_kpis(actor=actor, data=parse(KpiSync, data))


@pytest.mark.usefixtures("mock_db")
class TestDocuments:
    """What the rollups hold, figure by figure (the checks above compare two computations)."""

    async def test_a_store_day_and_month_after_syncs_and_a_resync(self) -> None:
        tenant = await apply(
            [
                Sync(0, 1, {0: (1250, 1, 2, 3), 1: (99, 1, 1, 1)}),
                Sync(0, 1, {0: (1000, 4, 5, 6)}),  # 2024-01-31 again: replaces 12.50
                Sync(0, 2, {0: (5, 0, 0, 7)}),  # 2024-02-01
                Sync(1, 1, {0: (300, 3, 3, 3)}),
            ]
        )
        gerant_id, stores, sellers = tenant.actor.gerant_id, tenant.stores, tenant.staff
        store, first, second = stores[0].id, sellers[0][0].id, sellers[0][1].id
        found = {
            document["_id"]: document
            async for document in KpiRollup.get_motor_collection().find({"store_id": store})
        }

        def expected(kind: str, period: str, figures: list[int], **more: Any) -> dict[str, Any]:
            names = ("ca_cents", "nb_ventes", "nb_articles", "prospects", "entries")
            return {
                "_id": f"{kind}:{gerant_id}:{period}:{store}:",
                "gerant_id": gerant_id,
                "kind": kind,
                "period": period,
                "store_id": store,
                "seller_id": None,
                **dict(zip(names, figures, strict=True)),
                "checksum": None,
                **more,
            }

        lines = [
            DayLine(first, Decimal("10.00"), 4, 5, 6),
            DayLine(second, Decimal("0.99"), 1, 1, 1),
        ]
        assert found == {
            document["_id"]: document
            for document in [
                expected(
                    "store_day",
                    "2024-01-31",
                    [1099, 5, 6, 7, 2],
                    checksum=day_checksum(lines),
                    sellers=f'{{"{first}":[1000,4,5,6,1],"{second}":[99,1,1,1,1]}}',
                    folded={
                        "sums": [1099, 5, 6, 7, 2],
                        "sellers": f'{{"{first}":[1000,4,5,6,1],"{second}":[99,1,1,1,1]}}',
                    },
                ),
                expected(
                    "store_day",
                    "2024-02-01",
                    [5, 0, 0, 7, 1],
                    checksum=day_checksum([DayLine(first, Decimal("0.05"), 0, 0, 7)]),
                    sellers=f'{{"{first}":[5,0,0,7,1]}}',
                    folded={"sums": [5, 0, 0, 7, 1], "sellers": f'{{"{first}":[5,0,0,7,1]}}'},
                ),
                expected(
                    "store_month",
                    "2024-01",
                    [1099, 5, 6, 7, 2],
                    days='{"2024-01-31":[1099,5,6,7,2]}',
                    sellers=f'{{"{first}":[1000,4,5,6,1],"{second}":[99,1,1,1,1]}}',
                ),
                expected(
                    "store_month",
                    "2024-02",
                    [5, 0, 0, 7, 1],
                    days='{"2024-02-01":[5,0,0,7,1]}',
                    sellers=f'{{"{first}":[5,0,0,7,1]}}',
                ),
            ]
        }

    async def test_a_seller_synced_in_his_new_store_leaves_the_former_stores_day(self) -> None:
        tenant = await apply(
            [
                Sync(0, 0, {0: (50, 5, 5, 5), 2: (100, 1, 1, 1)}),
                Sync(0, 1, {1: (20, 2, 2, 2), 2: (700, 7, 7, 7)}),
            ]
        )
        stores = tenant.stores
        stays, other, mover = list(tenant.staff[0])
        await move_and_sync(tenant.actor, mover, stores[1], DAYS[0])
        assert await check_rollups() == []
        rollups = KpiRollup.get_motor_collection()
        days = {
            (document["store_id"], document["period"]): document["ca_cents"]
            async for document in rollups.find({"kind": "store_day"})
        }
        assert days == {
            (stores[0].id, DAYS[0]): 50,  # the seller who stayed
            (stores[0].id, DAYS[1]): 720,
            (stores[1].id, DAYS[0]): 300,
        }
        month = await rollups.find_one({"kind": "store_month", "store_id": stores[0].id})
        assert month is not None
        sums = [f'"{stays.id}":[50,5,5,5,1]', f'"{other.id}":[20,2,2,2,1]']
        sums.append(f'"{mover.id}":[700,7,7,7,1]')
        assert (month["ca_cents"], month["sellers"]) == (770, "{" + ",".join(sums) + "}")

    async def test_a_resync_with_a_seller_come_from_another_store(self) -> None:
        """One sync: a seller of the store synced again, and one whose day was in his former
        store; each former entry is taken off (3.00 each, not 3.00 on top of the 0.50)."""
        tenant = await apply([Sync(0, 0, {2: (100, 1, 1, 1)}), Sync(1, 0, {0: (50, 5, 5, 5)})])
        stores = tenant.stores
        mover, local = tenant.staff[0][2], tenant.staff[1][0]
        await User.find_one({"_id": mover.id}).update(
            {"$set": {"store_id": stores[1].id, "moved": True}}
        )
        entry = {"ca_journalier": "3.00", "nb_ventes": 3, "nb_articles": 3, "prospects": 3}
        entries = [{"seller_id": seller.id, **entry} for seller in (local, mover)]
        data = {"store_id": stores[1].id, "date": DAYS[0], "kpi_entries": entries}
        await sync_kpis(actor=tenant.actor, data=parse(KpiSync, data))
        assert await check_rollups() == []
        days = {
            (document["store_id"], document["period"]): document["ca_cents"]
            async for document in KpiRollup.get_motor_collection().find({"kind": "store_day"})
        }
        assert days == {(stores[1].id, DAYS[0]): 600}

    async def test_each_difference_names_the_rollup_and_both_versions(self) -> None:
        await apply([Sync(0, 0, {0: (100, 1, 1, 1)})])
        rollups = KpiRollup.get_motor_collection()
        day = await rollups.find_one({"kind": "store_day"})
        month = await rollups.find_one({"kind": "store_month"})
        assert day is not None
        assert month is not None
        await rollups.delete_one({"_id": day["_id"]})
        await rollups.update_one({"_id": month["_id"]}, {"$inc": {"ca_cents": 1}})
        # Sorted by id: the store's day comes before its month.
        assert await check_rollups() == [
            Difference(rollup_id=day["_id"], expected=day, stored=None),
            Difference(rollup_id=month["_id"], expected=month, stored={**month, "ca_cents": 101}),
        ]

    def test_an_entry_stored_before_prospects_existed_counts_none(self) -> None:
        entry = {
            "seller_id": "s",
            "ca_journalier": Decimal128("1250.50"),
            "nb_ventes": 12,
            "nb_articles": 28,
        }
        assert DayLine.of_document(entry).figures == EntryFigures(125050, 12, 28, 0, 1)
        assert DayLine.of_document({**entry, "prospects": 35}).figures.prospects == 35

    async def test_a_day_its_only_seller_left_loses_its_rollup(self) -> None:
        tenant = await apply([Sync(0, 0, {2: (100, 1, 1, 1)})])
        stores = tenant.stores
        await move_and_sync(tenant.actor, tenant.staff[0][2], stores[1], DAYS[0])
        assert await check_rollups() == []
        found = KpiRollup.get_motor_collection().find({"kind": "store_day"})
        assert [(day["store_id"], day["ca_cents"]) async for day in found] == [(stores[1].id, 300)]
