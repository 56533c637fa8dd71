"""Rebuilding or checking every rollup from the raw entries (`rpai rebuild-rollups`,
`check-rollups`): administration tools that cross tenants, store after store."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import DeleteOne, ReplaceOne

from models import KpiEntry
from models.kpi_rollup import KpiRollup, RollupKind
from models.maintenance import Checkpoint
from models.transactions import Write
from resolvers.kpi.figures import DayLine
from resolvers.kpi.projector import fold_everything
from resolvers.kpi.rollups import expected_for_store
from resolvers.kpi.scope import KpiTenant

TenantStore = tuple[str, str]  # store_id, gerant_id
# The projector's own bookkeeping, not figures: left out of comparisons.
PROJECTOR_FIELDS = {"unfolded": 0, "rev": 0, "fold_owner": 0, "fold_until": 0}
REBUILD = "rebuild-rollups"


async def _expected(store: TenantStore) -> dict[str, dict[str, Any]]:
    """The store's rollups as its entries make them."""
    store_id, gerant_id = store
    tenant = KpiTenant(gerant_id)
    days: dict[str, list[DayLine]] = defaultdict(list)
    async for document in KpiEntry.get_motor_collection().find(tenant.entries(store_id=store_id)):
        days[document["date"]].append(DayLine.of_document(document))
    return expected_for_store(tenant, store_id, days)


async def _stored(store: TenantStore) -> dict[str, dict[str, Any]]:
    """The store's rollups, kind by kind on their index; one whose entries all moved away (all
    zero) counts as none (kept out here: SecantusDB scans the collection for a `$ne`)."""
    store_id, gerant_id = store
    tenant = KpiTenant(gerant_id)
    stored: dict[str, dict[str, Any]] = {}
    for kind in RollupKind:
        query = tenant.rollups(kind=kind.value, store_id=store_id)
        found = KpiRollup.get_motor_collection().find(query, PROJECTOR_FIELDS)
        stored |= {document["_id"]: document async for document in found if document["entries"]}
    return stored


def _replace_all(
    store: TenantStore, expected: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
) -> list[Write]:
    store_id, gerant_id = store
    tenant = KpiTenant(gerant_id)
    writes: list[Write] = [
        ReplaceOne(tenant.one_rollup(key, store_id), document, upsert=True)
        for key, document in expected.items()
        if stored.get(key) != document
    ]
    writes += [DeleteOne(tenant.one_rollup(key, store_id)) for key in stored if key not in expected]
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
        writes = _replace_all(store, await _expected(store), await _stored(store))
        if writes:
            await rollups.bulk_write(writes, ordered=False)
        written += len(writes)
        await Checkpoint(id=REBUILD, value=store[0]).save()
        progress(f"store {n}/{len(todo)} {store[0]}: {len(writes)} rollups written")
    await Checkpoint.find_one({"_id": REBUILD}).delete()
    return written


async def check_rollups() -> list[Difference]:
    """Every rollup that differs from the sums of the raw entries (missing or extra included),
    once the store days pending are folded."""
    await fold_everything()
    stores = await _stores()
    differences: list[Difference] = []
    for store in stores:
        differences += _differences(await _expected(store), await _stored(store))
    return differences
