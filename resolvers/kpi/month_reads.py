"""Month rollups as reads see them: a month whose store days a sync changed and the projector
has not folded yet gets them folded in on the fly, so a summary asked after a sync's answer
includes it."""

from collections import defaultdict
from typing import Any

from models import KpiRollup, RollupKind
from resolvers.kpi.queries import aggregate, rollup_stages
from resolvers.kpi.rollups import fold_days, month_of
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
    """The month rollups `stages` match (`stores` over `months`), with their store days not
    folded yet folded in as the projector will: one read, the pending days joined to the
    months' (`$unionWith`, on the pending days' partial index)."""
    day_kind = RollupKind.STORE_DAY.value
    pending = [
        *rollup_stages(tenant, day_kind, days_of(months), stores),
        {"$match": {"unfolded": True}},
    ]
    union = {"$unionWith": {"coll": KpiRollup.get_motor_collection().name, "pipeline": pending}}
    found = await aggregate(KpiRollup, [*stages, union])
    by_month: dict[StoreMonth, list[dict[str, Any]]] = defaultdict(list)
    for day in found:
        if day["kind"] == day_kind:
            by_month[(day["store_id"], month_of(day["period"]))].append(day)
    read = {
        (month["store_id"], month["period"]): month for month in found if month["kind"] != day_kind
    }
    for (store_id, month), days in by_month.items():
        folded = fold_days(tenant, store_id, month, read.get((store_id, month)), days)
        if folded is None:
            read.pop((store_id, month), None)
        else:
            read[(store_id, month)] = folded
    return list(read.values())
