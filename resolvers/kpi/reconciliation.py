"""KPI reconciliation: one store's daily totals and checksums, to find the days that differ.

Read from the store's day rollups (kept with the entries, checksum included): one document a
day with entries, whatever the number of sellers.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from contract import messages
from contract.actor import Actor
from contract.errors import Forbidden
from contract.inputs import Identifier
from contract.permissions import Permission
from models import KpiRollup, RollupKind
from resolvers.kpi.figures import EMPTY_CHECKSUM, Figures
from resolvers.kpi.queries import KpiPeriod, aggregate, days_between, rollup_stages
from resolvers.kpi.scope import tenant_of
from resolvers.stores import get_tenant_store


class KpiReconciliationQuery(KpiPeriod):
    store_id: Identifier


@dataclass(frozen=True)
class KpiDay:
    date: str
    entries: int
    ca_total: Decimal
    nb_ventes: int
    nb_articles: int
    prospects: int
    checksum: str


@dataclass(frozen=True)
class KpiReconciliation:
    store_id: str
    date_from: str
    date_to: str
    days: list[KpiDay]


def reconciliation_pipeline(actor: Actor, query: KpiReconciliationQuery) -> list[dict[str, Any]]:
    """The store's day rollups of the period."""
    periods = days_between(query.from_, query.to)
    return rollup_stages(tenant_of(actor), RollupKind.STORE_DAY.value, periods, [query.store_id])


def _day(day: str, rollup: dict[str, Any] | None) -> KpiDay:
    """A day's reconciliation line; a day without entries has zeros and the empty checksum."""
    figures = Figures.of_sums(rollup) if rollup else Figures()
    return KpiDay(
        date=day,
        entries=figures.entries,
        ca_total=figures.ca,
        nb_ventes=figures.nb_ventes,
        nb_articles=figures.nb_articles,
        prospects=figures.prospects,
        checksum=rollup["checksum"] if rollup else EMPTY_CHECKSUM,
    )


async def kpi_reconciliation(*, actor: Actor, query: KpiReconciliationQuery) -> KpiReconciliation:
    """One store's totals and checksum for every day of the period, days without entries too."""
    actor.require(Permission.KPI_READ)
    if actor.own_seller_id is not None:
        raise Forbidden(messages.SELLER_OWN_KPIS_ONLY)
    await get_tenant_store(actor=actor, store_id=query.store_id)
    found = await aggregate(KpiRollup, reconciliation_pipeline(actor, query))
    rollups = {rollup["period"]: rollup for rollup in found}
    start = date.fromisoformat(query.from_)
    days = [(start + timedelta(days=n)).isoformat() for n in range(query.days)]
    return KpiReconciliation(
        store_id=query.store_id,
        date_from=query.from_,
        date_to=query.to,
        days=[_day(day, rollups.get(day)) for day in days],
    )
