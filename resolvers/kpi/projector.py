"""The projector: folds the store days that syncs wrote into their stores' month rollups, one
writer per store-month, outside the syncs' transactions (so that syncs of different days of a
store never write one document, and never conflict).

Every API process runs it. A month's fold is held under a lease on the month's document, so one
process folds it at a time; the month is recomputed whole from its store days (idempotent: a
fold cut short by a crash is done again), and a day is marked folded only if no sync wrote it
again since it was read. Reads add the days not folded yet (`month_reads`).
"""

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any
from uuid import uuid4

from pymongo.errors import DuplicateKeyError

from models import KpiRollup, RollupKind
from models.clock import utcnow
from resolvers.kpi.month_reads import days_of
from resolvers.kpi.rollups import month_document, month_of
from resolvers.kpi.scope import KpiTenant

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # far longer than a fold (a few reads and writes)
BATCH = 500  # pending store days read per run


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


async def fold_month(tenant: KpiTenant, store_id: str, month: str) -> bool:
    """Fold one store-month if no other process holds it; whether it was folded."""
    rollups = KpiRollup.get_motor_collection()
    month_id = tenant.rollup_id(RollupKind.STORE_MONTH, month, store_id)
    owner, now = uuid4().hex, utcnow()
    try:
        await rollups.update_one(
            {"_id": month_id, "$or": [{"fold_until": None}, {"fold_until": {"$lt": now}}]},
            {"$set": {"fold_owner": owner, "fold_until": now + LEASE}},
            upsert=True,
        )
    except DuplicateKeyError:
        return False  # held by another process, which folds it
    range_ = days_of({"$gte": month, "$lt": _next_month(month)})
    query = tenant.rollups(kind=RollupKind.STORE_DAY.value, store_id=store_id, period=range_)
    days = await rollups.find(query).to_list(None)
    folded = month_document(tenant, store_id, month, days)
    held = {"_id": month_id, "fold_owner": owner}
    if folded is None:
        written = (await rollups.delete_one(held)).deleted_count
    else:
        written = (await rollups.replace_one(held, folded)).matched_count
    if not written:
        logger.warning("KPI month %s: fold lease lost before its write", month_id)
        return False
    read = [{"_id": day["_id"], "rev": day.get("rev")} for day in days if day.get("unfolded")]
    if read:
        await rollups.delete_many({"$or": read, "entries": 0})  # a day emptied, now told
        await rollups.update_many({"$or": read}, {"$unset": {"unfolded": "", "rev": ""}})
    return True


async def fold_pending() -> int:
    """Fold the months of the pending store days (at most BATCH of them); how many months."""
    pending = await (
        KpiRollup.get_motor_collection()
        .find({"unfolded": True}, {"sellers": 0, "checksum": 0})
        .limit(BATCH)
        .to_list(None)
    )
    months: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for day in pending:
        months[(day["gerant_id"], day["store_id"], month_of(day["period"]))].append(day)
    folded = 0
    for gerant_id, store_id, month in sorted(months):
        folded += await fold_month(KpiTenant(gerant_id), store_id, month)
    return folded
