"""The projector: folds the store days that syncs wrote into their stores' month rollups, one
writer per store-month, outside the syncs' transactions (so that syncs of different days of a
store never write one document, and never conflict).

Every API process runs it. A month's fold is held under a lease on the month's document, so one
process folds it at a time. A fold moves the month by what changed in its pending days (each
keeps what the month holds of it) and marks them folded, in one transaction: a crash leaves
both as they were, and a sync writing one of those days meanwhile aborts the fold, which runs
again. Reads add the days not folded yet (`month_reads`).
"""

import asyncio
import logging
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import DeleteOne, UpdateOne
from pymongo.errors import DuplicateKeyError

from models import KpiRollup, RollupKind
from models.clock import utcnow
from models.transactions import run_in_transaction
from resolvers.kpi.rollups import fold_days, folded_state, month_of
from resolvers.kpi.scope import KpiTenant

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)  # far longer than a fold (a few reads and writes)
BATCH = 500  # pending store days read per run
LEASE_MARGIN_SECONDS = 5
LEASE_WAIT_SECONDS = 0.5  # between looks at months another process holds


def _marked(tenant: KpiTenant, day: dict[str, Any]) -> UpdateOne | DeleteOne:
    """A folded day: its `folded` state is now the month's; a day without entries is gone."""
    this_day = tenant.one_rollup(day["_id"], day["store_id"])
    if not day["entries"]:
        return DeleteOne(this_day)
    return UpdateOne(
        this_day,
        {"$set": {"folded": folded_state(day)}, "$unset": {"unfolded": "", "rev": ""}},
    )


async def _claim(tenant: KpiTenant, store_id: str, month_id: str) -> str | None:
    """Take the month's lease; its owner token, or None if another process holds it."""
    owner, now = uuid4().hex, utcnow()
    try:
        await KpiRollup.get_motor_collection().update_one(
            # Free: never leased, or its lease over (not `$or`, which the embedded database
            # answers with a scan of the collection).
            tenant.one_rollup(month_id, store_id, fold_until={"$not": {"$gte": now}}),
            {"$set": {"fold_owner": owner, "fold_until": now + LEASE}},
            upsert=True,
        )
    except DuplicateKeyError:
        return None
    return owner


async def fold_month(tenant: KpiTenant, store_id: str, month: str, day_ids: list[str]) -> bool:
    """Fold one store-month's pending days among `day_ids` if no other process holds it;
    whether it did. The days are read by id: the embedded database answers a read of a month's
    pending days by scanning every pending day (0.25 s at 8,000), and ids in 2 ms."""
    rollups = KpiRollup.get_motor_collection()
    month_id = tenant.rollup_id(RollupKind.STORE_MONTH, month, store_id)
    owner = await _claim(tenant, store_id, month_id)
    if owner is None:
        return False
    # The ids first: the embedded database looks a leading `_id` up directly (`one_rollup`).
    pending = {"_id": {"$in": day_ids}, **tenant.rollups(store_id=store_id, unfolded=True)}

    async def fold(session: AsyncIOMotorClientSession) -> bool:
        its_document = tenant.one_rollup(month_id, store_id)
        stored = await rollups.find_one(its_document, session=session)
        if stored is None or stored.get("fold_owner") != owner:
            return False  # the lease ran out, and another process took it
        days = await rollups.find(pending, session=session).to_list(None)
        folded = fold_days(tenant, store_id, month, stored if "kind" in stored else None, days)
        held = {**its_document, "fold_owner": owner}
        if folded is None:
            await rollups.delete_one(held, session=session)
        else:
            await rollups.replace_one(held, folded, session=session)
        if days:
            await rollups.bulk_write([_marked(tenant, day) for day in days], session=session)
        return True

    done = await run_in_transaction(KpiRollup, fold)
    if not done:
        logger.warning("KPI month %s: fold lease lost before its write", month_id)
    return done


async def fold_pending() -> int:
    """Fold the months of the pending store days (at most BATCH of them); how many months."""
    shown = ["gerant_id", "store_id", "period"]
    pending = KpiRollup.get_motor_collection().find({"unfolded": True}, shown).limit(BATCH)
    months: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    async for day in pending:
        months[(day["gerant_id"], day["store_id"], month_of(day["period"]))].append(day["_id"])
    folded = 0
    for (gerant_id, store_id, month), day_ids in sorted(months.items()):
        folded += await fold_month(KpiTenant(gerant_id), store_id, month, day_ids)
    return folded


async def fold_everything() -> bool:
    """Fold every pending store day, waiting out the leases of months another process holds
    (a process killed mid-fold holds its months until LEASE ends); whether none is left."""
    deadline = time.monotonic() + LEASE.total_seconds() + LEASE_MARGIN_SECONDS
    while await KpiRollup.get_motor_collection().find_one({"unfolded": True}, {"_id": 1}):
        if time.monotonic() > deadline:
            return False
        if not await fold_pending():
            await asyncio.sleep(LEASE_WAIT_SECONDS)
    return True
