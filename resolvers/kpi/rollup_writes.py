"""The rollup writes of a sync, in its transaction: the store days it changes, recomputed from
the entries as they stand before it and its new lines, each marked for the projector to fold
into its month (`projector`)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import UpdateOne

from models import KpiEntry, KpiRollup
from models.transactions import Write, namespace
from resolvers.kpi.figures import DayLine
from resolvers.kpi.rollups import store_day_document
from resolvers.kpi.scope import KpiTenant


@dataclass(frozen=True)
class RollupWrites:
    """A sync's store-day writes (and the ids of the store days they write), the checksum of
    the synced store's day they leave, and the sellers of the sync who had an entry of the day
    before it (in this store, or another one for movers): the others' upserts create one."""

    writes: list[Write]
    checksum: str
    days: list[str]
    existing: frozenset[str]


def unfolded(tenant: KpiTenant, document: dict[str, Any]) -> Write:
    """A store day as written by a sync: marked for its month's fold, with a revision of its
    own, and what its month holds of it (`folded`) kept for the fold. A day left without
    entries is kept (all zero) until folded, so that its month learns it."""
    fields = {key: value for key, value in document.items() if key != "_id"}
    return UpdateOne(
        tenant.one_rollup(document["_id"], document["store_id"]),
        {"$set": {**fields, "unfolded": True, "rev": uuid4().hex}},
        upsert=True,
        namespace=namespace(KpiRollup),
    )


async def rollup_writes(
    *,
    tenant: KpiTenant,
    store_id: str,
    day: str,
    new: Mapping[str, DayLine],
    movers: Collection[str],
    session: AsyncIOMotorClientSession | None,
) -> RollupWrites:
    """The store-day writes of a sync of `new` lines (by seller) for one store and day, from the
    entries as they stand before it: the store's day, and the days of stores its sellers left.

    One index read, the store's day; a second, of the movers' entries of that day, when some of
    `new`'s sellers are movers (only they can have one in another store). Not one read with
    `$or`: the embedded database plans no index for `$or` (a scan of every entry)."""
    entries = KpiEntry.get_motor_collection()
    same_day: dict[str, DayLine] = {}
    async for document in entries.find(
        tenant.entries(store_id=store_id, date=day), session=session
    ):
        same_day[document["seller_id"]] = DayLine.of_document(document)
    left: set[str] = set()  # stores that synced sellers' lines of the day move out of
    moving: set[str] = set()  # the movers among them
    elsewhere = sorted(set(movers) & new.keys() - same_day.keys())
    if elsewhere:
        sellers_elsewhere = tenant.entries(date=day, seller_id={"$in": elsewhere})
        shown = {"store_id": 1, "seller_id": 1}
        async for document in entries.find(sellers_elsewhere, shown, session=session):
            left.add(document["store_id"])
            moving.add(document["seller_id"])
    days = {store_id: [*{**same_day, **new}.values()]}
    for other in sorted(left):
        remaining = entries.find(tenant.entries(store_id=other, date=day), session=session)
        days[other] = [
            DayLine.of_document(document)
            async for document in remaining
            if document["seller_id"] not in new
        ]
    documents = {
        store: store_day_document(tenant, store, day, lines) for store, lines in days.items()
    }
    return RollupWrites(
        writes=[unfolded(tenant, document) for document in documents.values()],
        checksum=documents[store_id]["checksum"],
        days=[document["_id"] for document in documents.values()],
        existing=frozenset(new.keys() & same_day.keys() | moving),
    )
