"""KPI rollups kept with the entries: what a sync changes in them (written in its transaction),
and rebuilding or checking them from the raw entries (`rpai rebuild-rollups`, `check-rollups`).

Per store and day the rollup is recomputed from the day's entries (it carries the day's
reconciliation checksum). Per store and month one document holds the month's totals, a map of
its days and a map of its sellers: the day is set again, the totals and the sellers move by
the difference between each entry's new and former figures. A sync reads the month and writes
these two (and the same for a store a seller left that day). Nothing is kept per tenant:
every store of a chain syncing the same day would write one document, and conflict.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import DeleteOne, ReplaceOne

from models import KpiEntry
from models.kpi_rollup import KpiRollup, RollupKind, rollup_id
from models.maintenance import Checkpoint
from resolvers.kpi.figures import DayLine, Figures, day_checksum, packed, unpacked

Write = ReplaceOne[dict[str, Any]] | DeleteOne
Key = tuple[RollupKind, str, str | None, str | None]  # kind, period, store, seller
TenantStore = tuple[str, str]  # store_id, gerant_id
REBUILD = "rebuild-rollups"


def month_of(day: str) -> str:
    return day[:7]


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


def set_store_day(document: dict[str, Any]) -> Write:
    if document["entries"] == 0:
        return DeleteOne({"_id": document["_id"]})
    return ReplaceOne({"_id": document["_id"]}, document, upsert=True)


def next_month_document(
    gerant_id: str,
    store_id: str,
    day: str,
    stored: Mapping[str, Any] | None,
    day_total: Figures,
    sellers: Mapping[str, Figures],
) -> dict[str, Any]:
    """A store's month rollup as `stored`, moved by `sellers`' changes, with its `day` set to
    `day_total` (or gone when the day has no entries left). Written whole: SecantusDB applies
    a `$inc` of a hundred sellers' fields slower than it replaces the document."""
    key: Key = (RollupKind.STORE_MONTH, month_of(day), store_id, None)
    before = Figures.of_sums(stored) if stored else Figures()
    document = rollup_document(gerant_id, key, before + sum(sellers.values(), Figures()))
    days = unpacked(stored.get("days") if stored else None)
    days[day] = day_total
    totals = unpacked(stored.get("sellers") if stored else None)
    for seller_id, change in sellers.items():
        totals[seller_id] = totals.get(seller_id, Figures()) + change
    document["days"] = packed(days)
    document["sellers"] = packed(totals)
    return document


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
    changes: dict[str, dict[str, Figures]] = defaultdict(lambda: defaultdict(Figures))
    for seller_id, entry in new.items():
        changes[store_id][seller_id] += Figures.of_entry(entry)
        before = former.get(seller_id)
        if before is not None:
            changes[before["store_id"]][seller_id] -= Figures.of_entry(before)
    days = {store_id: [*{**same_day, **new}.values()]}
    for other in sorted(set(changes) - {store_id}):
        remaining = entries.find(
            {"gerant_id": gerant_id, "store_id": other, "date": day}, session=session
        )
        days[other] = [document async for document in remaining if document["seller_id"] not in new]
    month_ids = [
        rollup_id(RollupKind.STORE_MONTH, gerant_id, month_of(day), store, None) for store in days
    ]
    query = {"_id": month_ids[0]} if len(month_ids) == 1 else {"_id": {"$in": month_ids}}
    months = {
        document["store_id"]: document
        async for document in KpiRollup.get_motor_collection().find(query, session=session)
    }
    writes: list[Write] = []
    for store, found in days.items():
        document = store_day_document(gerant_id, store, day, found)
        writes.append(set_store_day(document))
        month = next_month_document(
            gerant_id, store, day, months.get(store), Figures.of_sums(document), changes[store]
        )
        writes.append(ReplaceOne({"_id": month["_id"]}, month, upsert=True))
    return writes


def expected_for_store(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every rollup of one store, computed from all its entries."""
    by_day: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    gerant_id = store_id = ""
    for entry in entries:
        gerant_id, store_id = entry["gerant_id"], entry["store_id"]
        by_day[entry["date"]].append(entry)
    expected: dict[str, dict[str, Any]] = {}
    months: dict[str, dict[str, Any]] = {}
    for day, found in sorted(by_day.items()):
        document = store_day_document(gerant_id, store_id, day, found)
        expected[document["_id"]] = document
        month = months.setdefault(month_of(day), {"total": Figures(), "days": {}, "sellers": {}})
        month["total"] += Figures.of_sums(document)
        month["days"][day] = Figures.of_sums(document)
        for entry in found:
            seller = month["sellers"].get(entry["seller_id"], Figures())
            month["sellers"][entry["seller_id"]] = seller + Figures.of_entry(entry)
    for period, month in months.items():
        key: Key = (RollupKind.STORE_MONTH, period, store_id, None)
        document = rollup_document(gerant_id, key, month["total"])
        document["days"] = packed(month["days"])
        document["sellers"] = packed(month["sellers"])
        expected[document["_id"]] = document
    return expected


async def _store_entries(store: TenantStore) -> list[dict[str, Any]]:
    store_id, gerant_id = store
    found = KpiEntry.get_motor_collection().find({"gerant_id": gerant_id, "store_id": store_id})
    return [document async for document in found]


async def _stored(store: TenantStore) -> dict[str, dict[str, Any]]:
    """The store's rollups, kind by kind on their index; one whose entries all moved away (all
    zero) counts as none (kept out here: SecantusDB scans the collection for a `$ne`)."""
    store_id, gerant_id = store
    stored: dict[str, dict[str, Any]] = {}
    for kind in RollupKind:
        query = {"gerant_id": gerant_id, "kind": kind.value, "store_id": store_id}
        found = KpiRollup.get_motor_collection().find(query)
        stored |= {document["_id"]: document async for document in found if document["entries"]}
    return stored


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


async def _stores() -> list[TenantStore]:
    """Every store with entries or rollups, with its tenant (so that its reads use an index)."""
    group = [{"$group": {"_id": {"store": "$store_id", "tenant": "$gerant_id"}}}]
    stores: set[TenantStore] = set()
    for collection in (KpiEntry.get_motor_collection(), KpiRollup.get_motor_collection()):
        async for found in collection.aggregate(group):
            if found["_id"].get("store"):
                stores.add((found["_id"]["store"], found["_id"]["tenant"]))
    return sorted(stores)


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
    todo = [store for store in stores if store[0] > after]
    for n, store in enumerate(todo, 1):
        expected = expected_for_store(await _store_entries(store))
        writes = _replace_all(expected, await _stored(store))
        if writes:
            await rollups.bulk_write(writes, ordered=False)
        written += len(writes)
        await Checkpoint(id=REBUILD, value=store[0]).save()
        progress(f"store {n}/{len(todo)} {store[0]}: {len(writes)} rollups written")
    await Checkpoint.find_one({"_id": REBUILD}).delete()
    return written


async def check_rollups() -> list[Difference]:
    """Every rollup that differs from the sums of the raw entries (missing or extra included)."""
    stores = await _stores()
    differences: list[Difference] = []
    for store in stores:
        expected = expected_for_store(await _store_entries(store))
        differences += _differences(expected, await _stored(store))
    return differences
