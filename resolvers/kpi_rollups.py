"""KPI rollups kept with the entries: what a sync changes in them (written in its transaction),
and rebuilding or checking them from the raw entries (`rpai rebuild-rollups`, `check-rollups`).

Per store and day the rollup is recomputed from the day's entries (it carries the day's
reconciliation checksum); the others (store and month, seller in a store and month) move by
the difference between each entry's new and former figures. Nothing is kept per tenant: every
store of a chain syncing the same day would write one document, and conflict.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import DeleteOne, ReplaceOne, UpdateOne

from models import KpiEntry
from models.kpi_rollup import KpiRollup, RollupKind, rollup_id
from models.maintenance import Checkpoint
from resolvers.kpi_figures import DayLine, Figures, day_checksum

Write = UpdateOne | ReplaceOne[dict[str, Any]] | DeleteOne
Key = tuple[RollupKind, str, str | None, str | None]  # kind, period, store, seller
REBUILD = "rebuild-rollups"


def month_of(day: str) -> str:
    return day[:7]


def keys_of(store_id: str, seller_id: str, day: str) -> list[Key]:
    """The rollups (other than the store's day) an entry of this store, seller and day is in."""
    return [
        (RollupKind.STORE_MONTH, month_of(day), store_id, None),
        (RollupKind.SELLER_MONTH, month_of(day), store_id, seller_id),
    ]


def rollup_document(gerant_id: str, key: Key, figures: Figures) -> dict[str, Any]:
    kind, period, store_id, seller_id = key
    return {
        "_id": rollup_id(kind, gerant_id, period, store_id, seller_id),
        "gerant_id": gerant_id,
        "kind": kind.value,
        "period": period,
        "store_id": store_id,
        "seller_id": seller_id,
        **figures.as_fields(),
        "checksum": None,
    }


def store_day_document(
    gerant_id: str, store_id: str, day: str, entries: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A store's day rollup: its entries' sums and their checksum."""
    found = list(entries)
    total = sum((Figures.of_entry(entry) for entry in found), Figures())
    key: Key = (RollupKind.STORE_DAY, day, store_id, None)
    document = rollup_document(gerant_id, key, total)
    document["checksum"] = day_checksum(DayLine.of_entry(entry) for entry in found)
    return document


def set_store_day(
    gerant_id: str, store_id: str, day: str, entries: Iterable[Mapping[str, Any]]
) -> Write:
    document = store_day_document(gerant_id, store_id, day, entries)
    if document["entries"] == 0:
        return DeleteOne({"_id": document["_id"]})
    return ReplaceOne({"_id": document["_id"]}, document, upsert=True)


def increment(gerant_id: str, key: Key, figures: Figures) -> UpdateOne:
    kind, period, store_id, seller_id = key
    identity = {
        "gerant_id": gerant_id,
        "kind": kind.value,
        "period": period,
        "store_id": store_id,
        "seller_id": seller_id,
        "checksum": None,
    }
    return UpdateOne(
        {"_id": rollup_id(kind, gerant_id, period, store_id, seller_id)},
        {"$inc": figures.as_fields(), "$setOnInsert": identity},
        upsert=True,
    )


async def rollup_writes(
    *,
    gerant_id: str,
    store_id: str,
    day: str,
    new: Mapping[str, Mapping[str, Any]],
    session: AsyncIOMotorClientSession | None,
) -> list[Write]:
    """The rollup writes of a sync of `new` entries (by seller) for one store and day, from the
    entries as they stand before it: the store's day, and the sellers' former entries."""
    entries = KpiEntry.get_motor_collection()
    same_day = {
        document["seller_id"]: document
        async for document in entries.find(
            {"gerant_id": gerant_id, "store_id": store_id, "date": day}, session=session
        )
    }
    former = {seller_id: same_day[seller_id] for seller_id in new if seller_id in same_day}
    elsewhere = set(new) - set(same_day)
    if elsewhere:
        # Sellers whose day may have been synced in a store they left. The tenant's day, read
        # whole on its index: SecantusDB scans a leading $in as one range (all their days).
        tenant_day = entries.find({"gerant_id": gerant_id, "date": day}, session=session)
        former |= {
            document["seller_id"]: document
            async for document in tenant_day
            if document["seller_id"] in elsewhere
        }
    changes: dict[Key, Figures] = defaultdict(Figures)
    moved_from: set[str] = set()
    for seller_id, entry in new.items():
        for key in keys_of(store_id, seller_id, day):
            changes[key] += Figures.of_entry(entry)
        before = former.get(seller_id)
        if before is not None:
            for key in keys_of(before["store_id"], seller_id, day):
                changes[key] -= Figures.of_entry(before)
            if before["store_id"] != store_id:
                moved_from.add(before["store_id"])
    writes: list[Write] = [set_store_day(gerant_id, store_id, day, {**same_day, **new}.values())]
    for other in sorted(moved_from):
        remaining = entries.find(
            {"gerant_id": gerant_id, "store_id": other, "date": day}, session=session
        )
        kept = [document async for document in remaining if document["seller_id"] not in new]
        writes.append(set_store_day(gerant_id, other, day, kept))
    writes += [
        increment(gerant_id, key, figures)
        for key, figures in changes.items()
        if figures != Figures()
    ]
    return writes


def expected_for_store(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every rollup of one store, computed from all its entries."""
    by_day: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    sums: dict[Key, Figures] = defaultdict(Figures)
    gerant_id = store_id = ""
    for entry in entries:
        gerant_id, store_id, day = entry["gerant_id"], entry["store_id"], entry["date"]
        by_day[day].append(entry)
        figures = Figures.of_entry(entry)
        sums[(RollupKind.STORE_MONTH, month_of(day), store_id, None)] += figures
        seller_month = (RollupKind.SELLER_MONTH, month_of(day), store_id, entry["seller_id"])
        sums[seller_month] += figures
    expected = {
        document["_id"]: document
        for document in (
            store_day_document(gerant_id, store_id, day, found) for day, found in by_day.items()
        )
    }
    for key, figures in sums.items():
        document = rollup_document(gerant_id, key, figures)
        expected[document["_id"]] = document
    return expected


async def _store_entries(store_id: str) -> list[dict[str, Any]]:
    found = KpiEntry.get_motor_collection().find({"store_id": store_id})
    return [document async for document in found]


async def _stored(query: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rollups matching `query`; one whose entries all moved away (all zero) counts as none."""
    found = KpiRollup.get_motor_collection().find({**query, "entries": {"$ne": 0}})
    return {document["_id"]: document async for document in found}


def _replace_all(
    expected: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
) -> list[Write]:
    writes: list[Write] = [
        ReplaceOne({"_id": key}, document, upsert=True)
        for key, document in expected.items()
        if stored.get(key) != document
    ]
    writes += [DeleteOne({"_id": key}) for key in stored if key not in expected]
    return writes


@dataclass(frozen=True)
class Difference:
    rollup_id: str
    expected: dict[str, Any] | None
    stored: dict[str, Any] | None


def _differences(
    expected: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
) -> list[Difference]:
    return [
        Difference(rollup_id=key, expected=expected.get(key), stored=stored.get(key))
        for key in sorted(set(expected) | set(stored))
        if expected.get(key) != stored.get(key)
    ]


async def _stores() -> list[str]:
    entries = KpiEntry.get_motor_collection()
    rollups = KpiRollup.get_motor_collection()
    stores = set(await entries.distinct("store_id")) | set(await rollups.distinct("store_id"))
    return sorted(s for s in stores if s)


async def rebuild_rollups(*, progress: Callable[[str], None], restart: bool = False) -> int:
    """Rebuild every rollup from the raw entries, store after store; how many writes it took.

    Idempotent (a rollup already right is left as it is) and resumable: the last store done
    is kept as a checkpoint, and a run cut short goes on after it (unless `restart`).
    """
    stores = await _stores()
    checkpoint = await Checkpoint.get(REBUILD)
    after = "" if restart or checkpoint is None else checkpoint.value
    rollups = KpiRollup.get_motor_collection()
    written = 0
    todo = [store_id for store_id in stores if store_id > after]
    for n, store_id in enumerate(todo, 1):
        expected = expected_for_store(await _store_entries(store_id))
        stored = await _stored({"store_id": store_id})
        writes = _replace_all(expected, stored)
        if writes:
            await rollups.bulk_write(writes, ordered=False)
        written += len(writes)
        await Checkpoint(id=REBUILD, value=store_id).save()
        progress(f"store {n}/{len(todo)} {store_id}: {len(writes)} rollups written")
    await Checkpoint.find_one({"_id": REBUILD}).delete()
    return written


async def check_rollups() -> list[Difference]:
    """Every rollup that differs from the sums of the raw entries (missing or extra included)."""
    stores = await _stores()
    differences: list[Difference] = []
    for store_id in stores:
        expected = expected_for_store(await _store_entries(store_id))
        stored = await _stored({"store_id": store_id})
        differences += _differences(expected, stored)
    return differences
