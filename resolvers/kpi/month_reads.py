"""Month rollups as reads see them: a month whose store days a sync changed and the projector
has not folded yet is computed from its store days, so a summary asked after a sync's answer
includes it."""

from collections import defaultdict
from typing import Any

from models import KpiRollup, RollupKind
from resolvers.kpi.queries import aggregate, rollup_stages
from resolvers.kpi.rollups import month_document, month_of
from resolvers.kpi.scope import KpiTenant

StoreMonth = tuple[str, str]  # store_id, YYYY-MM


def days_of(months: dict[str, str]) -> dict[str, str]:
    """The days of a range of months (`{"$gte": "2025-01", "$lt": "2025-04"}`)."""
    return {operator: f"{month}-01" for operator, month in months.items()}


async def month_rollups(
    tenant: KpiTenant,
    stages: list[dict[str, Any]],
    months: dict[str, str],
    stores: list[str] | None,
) -> list[dict[str, Any]]:
    """The month rollups `stages` match (`stores` over `months`), those with unfolded store days
    replaced by their fold as it will be (or dropped if no day is left).

    One read: the months, and (`$unionWith`, on the store days' partial index) which of their
    days are pending; a second one, of the stale months' days, only when some are."""
    day_kind = RollupKind.STORE_DAY.value
    days = days_of(months)
    pending = [
        *rollup_stages(tenant, day_kind, days, stores),
        {"$match": {"unfolded": True}},
        {"$project": {"kind": 1, "store_id": 1, "period": 1}},
    ]
    union = {"$unionWith": {"coll": KpiRollup.get_motor_collection().name, "pipeline": pending}}
    found = await aggregate(KpiRollup, [*stages, union])
    stale: set[StoreMonth] = {
        (day["store_id"], month_of(day["period"])) for day in found if day["kind"] == day_kind
    }
    read = [month for month in found if month["kind"] != day_kind]
    if not stale:
        return read
    stale_stores = sorted({store for store, _ in stale})
    by_month: dict[StoreMonth, list[dict[str, Any]]] = defaultdict(list)
    for day in await aggregate(KpiRollup, rollup_stages(tenant, day_kind, days, stale_stores)):
        by_month[(day["store_id"], month_of(day["period"]))].append(day)
    kept = [month for month in read if (month["store_id"], month["period"]) not in stale]
    for store_id, month in sorted(stale):
        folded = month_document(tenant, store_id, month, by_month[(store_id, month)])
        if folded is not None:
            kept.append(folded)
    return kept
