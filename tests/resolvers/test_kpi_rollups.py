"""Rollups equal the raw sums, whatever happens: random syncs, re-syncs of a seller's day,
deleted sellers (property-based, on mongomock); and rebuilding them is idempotent and goes on
after an interruption."""

import asyncio
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

from models import DOCUMENT_MODELS, KpiEntry, KpiRollup, Role, Store, User, transactions
from resolvers.auth import actor_for_user
from resolvers.errors import BadRequest
from resolvers.kpi import KpiSync, sync_kpis
from resolvers.kpi_figures import DayLine, Figures, day_checksum
from resolvers.kpi_rollups import Difference, check_rollups, rebuild_rollups
from resolvers.users import delete_user
from resolvers.validation import parse
from tests.support.factories import make_gerant, make_store, make_user

DAYS = ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"]
SELLERS_PER_STORE = (3, 2)


@dataclass(frozen=True)
class Sync:
    store: int
    day: int
    figures: dict[int, tuple[int, int, int, int]]  # seller (in the store) -> cents and counts


@dataclass(frozen=True)
class Delete:
    store: int
    seller: int


figures = st.tuples(
    st.integers(0, 10_000_000), st.integers(0, 50), st.integers(0, 90), st.integers(0, 99)
)


@st.composite
def syncs(draw: st.DrawFn) -> Sync:
    store = draw(st.integers(0, len(SELLERS_PER_STORE) - 1))
    sellers = st.integers(0, SELLERS_PER_STORE[store] - 1)
    chosen = draw(st.dictionaries(sellers, figures, min_size=1))
    return Sync(store=store, day=draw(st.integers(0, len(DAYS) - 1)), figures=chosen)


deletes = st.builds(Delete, store=st.integers(0, 1), seller=st.integers(0, 1))
operations = st.lists(st.one_of(syncs(), syncs(), syncs(), deletes), min_size=1, max_size=12)


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


async def apply(steps: list[Sync | Delete]) -> tuple[User, list[Store], list[list[User]]]:
    """The steps on a new tenant, whose gérant, stores and sellers it returns; syncs refused (a
    deleted seller) change nothing."""
    gerant = await make_gerant()
    actor = actor_for_user(gerant)
    stores = [await make_store(gerant) for _ in SELLERS_PER_STORE]
    sellers: list[list[User]] = [
        [await make_user(gerant, Role.SELLER, store) for _ in range(count)]
        for store, count in zip(stores, SELLERS_PER_STORE, strict=True)
    ]
    for step in steps:
        if isinstance(step, Delete):
            user = sellers[step.store][step.seller]
            await User.find_one({"_id": user.id}).update({"$set": {"status": "active"}})
            await delete_user(actor=actor, user_id=user.id)
            continue
        entries = [
            {
                "seller_id": sellers[step.store][seller].id,
                "ca_journalier": Decimal(cents) / 100,
                "nb_ventes": ventes,
                "nb_articles": articles,
                "prospects": prospects,
            }
            for seller, (cents, ventes, articles, prospects) in step.figures.items()
        ]
        data = {"store_id": stores[step.store].id, "date": DAYS[step.day], "kpi_entries": entries}
        try:
            await sync_kpis(actor=actor, data=parse(KpiSync, data))
        except BadRequest:
            pass
    return gerant, stores, sellers


async def scenario(steps: list[Sync | Delete]) -> list[Any]:
    await fresh_database()
    await apply(steps)
    return await check_rollups()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(operations)
def test_rollups_always_equal_the_raw_sums(steps: list[Sync | Delete]) -> None:
    with without_transactions():
        assert asyncio.run(scenario(steps)) == []


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
        gerant, stores, _ = await apply([Sync(0, 0, {0: (100, 1, 1, 1)})])
        # A store whose id sorts before any other: the rebuild reads ids as opaque text.
        first = {"gerant_id": gerant.id, "store_id": "0", "seller_id": "s", "date": DAYS[0]}
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


async def move_and_sync(gerant: User, seller: User, store: Store, day: str) -> None:
    """Move `seller` to `store`, and sync his `day` there: 3.00 (3, 3, 3)."""
    await User.find_one({"_id": seller.id}).update({"$set": {"store_id": store.id}})
    entry = {
        "seller_id": seller.id,
        "ca_journalier": "3.00",
        "nb_ventes": 3,
        "nb_articles": 3,
        "prospects": 3,
    }
    data = {"store_id": store.id, "date": day, "kpi_entries": [entry]}
    await sync_kpis(actor=actor_for_user(gerant), data=parse(KpiSync, data))


@pytest.mark.usefixtures("mock_db")
class TestDocuments:
    """What the rollups hold, figure by figure (the checks above compare two computations)."""

    async def test_a_store_day_and_month_after_syncs_and_a_resync(self) -> None:
        gerant, stores, sellers = await apply(
            [
                Sync(0, 1, {0: (1250, 1, 2, 3), 1: (99, 1, 1, 1)}),
                Sync(0, 1, {0: (1000, 4, 5, 6)}),  # 2024-01-31 again: replaces 12.50
                Sync(0, 2, {0: (5, 0, 0, 7)}),  # 2024-02-01
                Sync(1, 1, {0: (300, 3, 3, 3)}),
            ]
        )
        store, first, second = stores[0].id, sellers[0][0].id, sellers[0][1].id
        found = {
            document["_id"]: document
            async for document in KpiRollup.get_motor_collection().find({"store_id": store})
        }

        def expected(kind: str, period: str, figures: list[int], **more: str) -> dict[str, Any]:
            names = ("ca_cents", "nb_ventes", "nb_articles", "prospects", "entries")
            return {
                "_id": f"{kind}:{gerant.id}:{period}:{store}:",
                "gerant_id": gerant.id,
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
                    "store_day", "2024-01-31", [1099, 5, 6, 7, 2], checksum=day_checksum(lines)
                ),
                expected(
                    "store_day",
                    "2024-02-01",
                    [5, 0, 0, 7, 1],
                    checksum=day_checksum([DayLine(first, Decimal("0.05"), 0, 0, 7)]),
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
        gerant, stores, sellers = await apply(
            [
                Sync(0, 0, {0: (50, 5, 5, 5), 2: (100, 1, 1, 1)}),
                Sync(0, 1, {1: (20, 2, 2, 2), 2: (700, 7, 7, 7)}),
            ]
        )
        stays, other, mover = sellers[0]
        await move_and_sync(gerant, mover, stores[1], DAYS[0])
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
        entry = {"ca_journalier": Decimal128("1250.50"), "nb_ventes": 12, "nb_articles": 28}
        assert Figures.of_entry(entry) == Figures(125050, 12, 28, 0, 1)
        assert Figures.of_entry({**entry, "prospects": 35}).prospects == 35

    async def test_a_day_its_only_seller_left_loses_its_rollup(self) -> None:
        gerant, stores, sellers = await apply([Sync(0, 0, {2: (100, 1, 1, 1)})])
        await move_and_sync(gerant, sellers[0][2], stores[1], DAYS[0])
        assert await check_rollups() == []
        found = KpiRollup.get_motor_collection().find({"kind": "store_day"})
        assert [(day["store_id"], day["ca_cents"]) async for day in found] == [(stores[1].id, 300)]
