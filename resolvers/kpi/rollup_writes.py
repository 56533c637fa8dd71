"""The rollup writes of a sync, in its transaction: the entries as they stand before it read,
and the arithmetic of `rollups` applied to them."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import DeleteOne, ReplaceOne

from models import KpiEntry
from models.kpi_rollup import KpiRollup, RollupKind
from resolvers.kpi.figures import DayLine, Figures
from resolvers.kpi.rollups import month_of, next_month_document, store_day_document, sync_change
from resolvers.kpi.scope import KpiTenant

Write = ReplaceOne[dict[str, Any]] | DeleteOne


@dataclass(frozen=True)
class RollupWrites:
    """A sync's rollup writes, and the checksum of the synced store's day they leave."""

    writes: list[Write]
    checksum: str


def set_store_day(document: dict[str, Any]) -> Write:
    if document["entries"] == 0:
        return DeleteOne({"_id": document["_id"]})
    return ReplaceOne({"_id": document["_id"]}, document, upsert=True)


async def rollup_writes(
    *,
    tenant: KpiTenant,
    store_id: str,
    day: str,
    new: Mapping[str, DayLine],
    session: AsyncIOMotorClientSession | None,
) -> RollupWrites:
    """The rollup writes of a sync of `new` lines (by seller) for one store and day, from the
    entries as they stand before it: the store's day, and the sellers' former entries."""
    entries = KpiEntry.get_motor_collection()
    same_day = {
        document["seller_id"]: DayLine.of_document(document)
        async for document in entries.find(
            tenant.entries(store_id=store_id, date=day), session=session
        )
    }
    former = {
        seller_id: (store_id, same_day[seller_id]) for seller_id in new if seller_id in same_day
    }
    elsewhere = set(new) - set(same_day)
    if elsewhere:
        # Sellers whose day may have been synced in a store they left. The tenant's day, read
        # whole on its index: SecantusDB scans a leading $in as one range (all their days).
        tenant_day = entries.find(tenant.entries(date=day), session=session)
        former |= {
            document["seller_id"]: (document["store_id"], DayLine.of_document(document))
            async for document in tenant_day
            if document["seller_id"] in elsewhere
        }
    change = sync_change(store_id, new, former)
    days = {store_id: [*{**same_day, **new}.values()]}
    for other in sorted(set(change) - {store_id}):
        remaining = entries.find(tenant.entries(store_id=other, date=day), session=session)
        days[other] = [
            DayLine.of_document(document)
            async for document in remaining
            if document["seller_id"] not in new
        ]
    month_ids = [tenant.rollup_id(RollupKind.STORE_MONTH, month_of(day), store) for store in days]
    query = {"_id": month_ids[0]} if len(month_ids) == 1 else {"_id": {"$in": month_ids}}
    months = {
        document["store_id"]: document
        async for document in KpiRollup.get_motor_collection().find(query, session=session)
    }
    writes: list[Write] = []
    checksum = ""
    for store, lines in days.items():
        document = store_day_document(tenant, store, day, lines)
        if store == store_id:
            checksum = document["checksum"]
        writes.append(set_store_day(document))
        month = next_month_document(
            tenant, store, day, months.get(store), Figures.of_sums(document), change[store]
        )
        writes.append(ReplaceOne({"_id": month["_id"]}, month, upsert=True))
    return RollupWrites(writes=writes, checksum=checksum)
