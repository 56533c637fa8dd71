"""KPI reconciliation: one store's daily totals and checksums, to find the days that differ."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import Forbidden
from resolvers.inputs import Identifier
from resolvers.kpi import CENT
from resolvers.kpi_queries import (
    SUMMED,
    KpiPeriod,
    KpiTotals,
    aggregate,
    days_between,
    decimal_sum,
    money_text,
    totals_of,
)
from resolvers.permissions import Permission
from resolvers.stores import get_tenant_store


class KpiReconciliationQuery(KpiPeriod):
    store_id: Identifier


@dataclass(frozen=True)
class DayLine:
    """One entry as a day's checksum covers it."""

    seller_id: str
    ca_journalier: Decimal
    nb_ventes: int
    nb_articles: int
    prospects: int

    def canonical(self) -> str:
        """`seller_id|ca|nb_ventes|nb_articles|prospects` and a newline, ca as in money_text."""
        values = (self.nb_ventes, self.nb_articles, self.prospects)
        return "|".join([self.seller_id, money_text(self.ca_journalier), *map(str, values)]) + "\n"


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


def canonical_day(lines: Iterable[DayLine]) -> str:
    """What a day's checksum is taken over: one line per entry, sorted by seller_id."""
    return "".join(line.canonical() for line in sorted(lines, key=lambda line: line.seller_id))


def day_checksum(lines: Iterable[DayLine]) -> str:
    """SHA-256 (lowercase hex) of the UTF-8 canonical form of a day's entries."""
    return hashlib.sha256(canonical_day(lines).encode()).hexdigest()


def reconciliation_pipeline(actor: Actor, query: KpiReconciliationQuery) -> list[dict[str, Any]]:
    """One group per day with entries: its sums and the values its checksum covers."""
    return [
        {
            "$match": {
                "gerant_id": actor.gerant_id,
                "store_id": query.store_id,
                "date": days_between(query.from_, query.to),
            }
        },
        {
            "$group": {
                "_id": "$date",
                **{name: {"$sum": field} for name, field in SUMMED.items()},
                "lines": {
                    "$push": {
                        "seller_id": "$seller_id",
                        "ca_journalier": "$ca_journalier",
                        "nb_ventes": "$nb_ventes",
                        "nb_articles": "$nb_articles",
                        "prospects": "$prospects",
                    }
                },
            }
        },
    ]


def _day(day: str, group: dict[str, Any] | None) -> KpiDay:
    """A day's reconciliation line; a day without entries has zeros and the empty checksum."""
    totals = totals_of(group) if group else KpiTotals()
    lines = [
        DayLine(**{**line, "ca_journalier": decimal_sum(line["ca_journalier"])})
        for line in (group["lines"] if group else [])
    ]
    return KpiDay(
        date=day,
        entries=len(lines),
        ca_total=totals.ca.quantize(CENT, rounding=ROUND_HALF_UP),
        nb_ventes=totals.nb_ventes,
        nb_articles=totals.nb_articles,
        prospects=totals.prospects,
        checksum=day_checksum(lines),
    )


async def kpi_reconciliation(*, actor: Actor, query: KpiReconciliationQuery) -> KpiReconciliation:
    """One store's totals and checksum for every day of the period, days without entries too."""
    actor.require(Permission.KPI_READ)
    if actor.own_seller_id is not None:
        raise Forbidden(messages.SELLER_OWN_KPIS_ONLY)
    await get_tenant_store(actor=actor, store_id=query.store_id)
    groups = {
        group["_id"]: group for group in await aggregate(reconciliation_pipeline(actor, query))
    }
    start = date.fromisoformat(query.from_)
    days = [(start + timedelta(days=n)).isoformat() for n in range(query.days)]
    return KpiReconciliation(
        store_id=query.store_id,
        date_from=query.from_,
        date_to=query.to,
        days=[_day(day, groups.get(day)) for day in days],
    )
