"""KPI entries read a page at a time, in (date, store, seller) order."""

from typing import Any

from contract.actor import Actor
from contract.permissions import Permission
from models import KpiEntry
from resolvers.kpi.queries import KpiFilter, aggregate, entry_stages
from resolvers.kpi.scope import reading_scope
from resolvers.pagination import Page, check_page_size, decode_cursor, page_of

ENTRY_ORDER = ("date", "store_id", "seller_id")


def sort_key(entry: KpiEntry) -> tuple[str, str, str]:
    return entry.date, entry.store_id, entry.seller_id


def entries_pipeline(
    actor: Actor, kpi_filter: KpiFilter, first: int, after: str | None
) -> list[dict[str, Any]]:
    """The page of `first` entries after the cursor (plus one, to tell if more follow)."""
    scope = reading_scope(actor, kpi_filter.store_ids, kpi_filter.seller_ids)
    start = kpi_filter.from_
    following: list[dict[str, Any]] = []
    if after is not None:
        day, store_id, seller_id = decode_cursor(after, len(ENTRY_ORDER))
        start = max(start, day)
        following = [
            {
                "$match": {
                    "$or": [
                        {"date": {"$gt": day}},
                        {"date": day, "store_id": {"$gt": store_id}},
                        {"date": day, "store_id": store_id, "seller_id": {"$gt": seller_id}},
                    ]
                }
            }
        ]
    return [
        *entry_stages(scope, start, kpi_filter.to),
        *following,
        {"$sort": dict.fromkeys(ENTRY_ORDER, 1)},
        {"$limit": first + 1},
    ]


async def kpi_entries(
    *, actor: Actor, kpi_filter: KpiFilter, first: int, after: str | None
) -> Page[KpiEntry]:
    """Entries in (date, store, seller) order, `first` at a time (one seller per day is unique)."""
    actor.require(Permission.KPI_READ)
    check_page_size(first)
    found = await aggregate(KpiEntry, entries_pipeline(actor, kpi_filter, first, after))
    return page_of([KpiEntry.model_validate(document) for document in found], first, sort_key)
