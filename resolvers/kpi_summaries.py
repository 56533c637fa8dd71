"""KPI summaries: totals and ratios per group, against the previous period of the same length."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from models import Store, User
from resolvers import messages
from resolvers.actor import Actor
from resolvers.kpi import CENT
from resolvers.kpi_queries import (
    SUMMED,
    KpiFilter,
    KpiTotals,
    aggregate,
    matching,
    named,
    readable_entries,
    totals_of,
)
from resolvers.permissions import Permission

RATIO = Decimal("0.0001")
TOTAL_KEY = "total"
PREVIOUS = "previous_"


class KpiGroupBy(Enum):
    SELLER = "seller"
    STORE = "store"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


BUCKET_FORMATS = {KpiGroupBy.DAY: "%Y-%m-%d", KpiGroupBy.WEEK: "%G-W%V", KpiGroupBy.MONTH: "%Y-%m"}


@dataclass(frozen=True)
class KpiMetrics:
    """Totals and ratios as shown: money to the cent, ratios to 4 decimals, None if x/0."""

    ca: Decimal
    nb_ventes: int
    nb_articles: int
    prospects: int
    panier_moyen: Decimal | None
    indice_de_vente: Decimal | None
    taux_transformation: Decimal | None
    prix_moyen_article: Decimal | None


@dataclass(frozen=True)
class KpiChange:
    """Relative change of each metric, (now - before) / before to 4 decimals; None if before is
    0 or None (or now is None)."""

    ca: Decimal | None
    nb_ventes: Decimal | None
    nb_articles: Decimal | None
    prospects: Decimal | None
    panier_moyen: Decimal | None
    indice_de_vente: Decimal | None
    taux_transformation: Decimal | None
    prix_moyen_article: Decimal | None


@dataclass(frozen=True)
class KpiSummaryRow:
    key: str
    label: str
    current: KpiMetrics
    previous: KpiMetrics
    change: KpiChange


def _divide(numerator: Decimal, denominator: int) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def _rounded(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else value.quantize(step, rounding=ROUND_HALF_UP)


def _exact(totals: KpiTotals) -> dict[str, Decimal | None]:
    """Every metric at full precision, named like KpiMetrics' fields."""
    return {
        "ca": totals.ca,
        "nb_ventes": Decimal(totals.nb_ventes),
        "nb_articles": Decimal(totals.nb_articles),
        "prospects": Decimal(totals.prospects),
        "panier_moyen": _divide(totals.ca, totals.nb_ventes),
        "indice_de_vente": _divide(Decimal(totals.nb_articles), totals.nb_ventes),
        "taux_transformation": _divide(Decimal(totals.nb_ventes), totals.prospects),
        "prix_moyen_article": _divide(totals.ca, totals.nb_articles),
    }


def _metrics(totals: KpiTotals) -> KpiMetrics:
    exact = _exact(totals)
    return KpiMetrics(
        ca=totals.ca.quantize(CENT, rounding=ROUND_HALF_UP),
        nb_ventes=totals.nb_ventes,
        nb_articles=totals.nb_articles,
        prospects=totals.prospects,
        panier_moyen=_rounded(exact["panier_moyen"], CENT),
        indice_de_vente=_rounded(exact["indice_de_vente"], RATIO),
        taux_transformation=_rounded(exact["taux_transformation"], RATIO),
        prix_moyen_article=_rounded(exact["prix_moyen_article"], CENT),
    )


def _relative(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or before is None or before == 0:
        return None
    return _rounded((now - before) / before, RATIO)


def _change(current: KpiTotals, previous: KpiTotals) -> KpiChange:
    """Computed on the exact values, so that rounding for display neither hides nor makes one."""
    now, before = _exact(current), _exact(previous)
    return KpiChange(**{name: _relative(now[name], before[name]) for name in now})


def _group_key(group_by: KpiGroupBy, is_previous: dict[str, Any], days: int) -> Any:
    """The expression an entry is grouped on; previous-period entries fall into the bucket of
    the day one period later, so that each row compares like with like."""
    if group_by is KpiGroupBy.SELLER:
        return "$seller_id"
    if group_by is KpiGroupBy.STORE:
        return "$store_id"
    if group_by is KpiGroupBy.TOTAL:
        return TOTAL_KEY
    day = {"$dateFromString": {"dateString": "$date", "format": "%Y-%m-%d"}}
    shifted = {"$dateAdd": {"startDate": day, "unit": "day", "amount": days}}
    aligned = {"$cond": [is_previous, shifted, day]}
    return {"$dateToString": {"date": aligned, "format": BUCKET_FORMATS[group_by]}}


def summary_pipeline(
    actor: Actor, kpi_filter: KpiFilter, group_by: KpiGroupBy
) -> list[dict[str, Any]]:
    """One $group over the period and the one of the same length before it, by `group_by`."""
    start = date.fromisoformat(kpi_filter.from_)
    previous_start = (start - timedelta(days=kpi_filter.days)).isoformat()
    is_previous = {"$lt": ["$date", kpi_filter.from_]}
    sums: dict[str, Any] = {}
    for name, field in SUMMED.items():
        sums[name] = {"$sum": {"$cond": [is_previous, 0, field]}}
        sums[PREVIOUS + name] = {"$sum": {"$cond": [is_previous, field, 0]}}
    group_key = _group_key(group_by, is_previous, kpi_filter.days)
    return [
        *matching(actor, previous_start, kpi_filter.to, readable_entries(actor, kpi_filter)),
        {"$group": {"_id": group_key, **sums}},
        {"$sort": {"_id": 1}},
    ]


def _period_label(group_by: KpiGroupBy, key: str) -> str:
    """`mardi 4 mars 2025`, `semaine 10 2025`, `mars 2025` or `Total`."""
    if group_by is KpiGroupBy.TOTAL:
        return messages.KPI_TOTAL_LABEL
    if group_by is KpiGroupBy.WEEK:
        year, week = key.split("-W")
        return messages.KPI_WEEK_LABEL.format(week=int(week), year=year)
    if group_by is KpiGroupBy.MONTH:
        year, month = key.split("-")
        return messages.KPI_MONTH_LABEL.format(month=messages.KPI_MONTHS[int(month) - 1], year=year)
    day = date.fromisoformat(key)
    return messages.KPI_DAY_LABEL.format(
        weekday=messages.KPI_WEEKDAYS[day.weekday()],
        day=messages.KPI_FIRST_DAY if day.day == 1 else day.day,
        month=messages.KPI_MONTHS[day.month - 1],
        year=day.year,
    )


async def _labels(actor: Actor, group_by: KpiGroupBy, keys: list[str]) -> dict[str, str]:
    """The human name of each row: seller or store name (its id if unknown), or the period."""
    if group_by in (KpiGroupBy.SELLER, KpiGroupBy.STORE):
        model = User if group_by is KpiGroupBy.SELLER else Store
        names = await named(model, actor, keys)
        return {key: names[key].name if key in names else key for key in keys}
    return {key: _period_label(group_by, key) for key in keys}


async def kpi_summary(
    *, actor: Actor, kpi_filter: KpiFilter, group_by: KpiGroupBy
) -> list[KpiSummaryRow]:
    """Totals and ratios per group, each with the previous period's and the relative change.

    Rows are sorted by key (chronological, or creation order of sellers and stores); a group
    with entries in either period has a row; TOTAL always has its one row.
    """
    actor.require(Permission.KPI_READ)
    groups = await aggregate(summary_pipeline(actor, kpi_filter, group_by))
    sums = {group["_id"]: (totals_of(group), totals_of(group, PREVIOUS)) for group in groups}
    if group_by is KpiGroupBy.TOTAL and not sums:
        sums[TOTAL_KEY] = (KpiTotals(), KpiTotals())
    labels = await _labels(actor, group_by, list(sums))
    return [
        KpiSummaryRow(
            key=key,
            label=labels[key],
            current=_metrics(current),
            previous=_metrics(previous),
            change=_change(current, previous),
        )
        for key, (current, previous) in sums.items()
    ]


async def _summaries_by(
    field: str, *, actor: Actor, kpi_filter: KpiFilter, group_by: KpiGroupBy, ids: list[str]
) -> dict[str, list[KpiSummaryRow]]:
    """`kpi_summary`'s rows for each of `ids` alone, the filter narrowed to it on `field`
    (`store_ids` or `seller_ids`), from one aggregation and one name lookup for all of them."""
    actor.require(Permission.KPI_READ)
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    narrowed = kpi_filter.model_copy(update={field: wanted})
    pipeline = summary_pipeline(actor, narrowed, group_by)
    parent = "$store_id" if field == "store_ids" else "$seller_id"
    for stage in pipeline:
        if "$group" in stage:
            stage["$group"]["_id"] = {"of": parent, "key": stage["$group"]["_id"]}
    groups = await aggregate(pipeline)
    sums: dict[str, dict[str, tuple[KpiTotals, KpiTotals]]] = {owner: {} for owner in wanted}
    for group in groups:
        owner, key = group["_id"]["of"], group["_id"]["key"]
        sums[owner][key] = (totals_of(group), totals_of(group, PREVIOUS))
    if group_by is KpiGroupBy.TOTAL:
        for rows in sums.values():
            rows.setdefault(TOTAL_KEY, (KpiTotals(), KpiTotals()))
    labels = await _labels(actor, group_by, sorted({key for rows in sums.values() for key in rows}))
    return {
        owner: [
            KpiSummaryRow(
                key=key,
                label=labels[key],
                current=_metrics(current),
                previous=_metrics(previous),
                change=_change(current, previous),
            )
            for key, (current, previous) in sorted(rows.items())
        ]
        for owner, rows in sums.items()
    }


async def store_summaries(
    *, actor: Actor, kpi_filter: KpiFilter, group_by: KpiGroupBy, store_ids: list[str]
) -> dict[str, list[KpiSummaryRow]]:
    """For each store of `store_ids`, exactly the rows `kpi_summary` gives with the filter's
    `store_ids` set to that store alone (same permission, scope and errors), in one go."""
    return await _summaries_by(
        "store_ids", actor=actor, kpi_filter=kpi_filter, group_by=group_by, ids=store_ids
    )


async def seller_summaries(
    *, actor: Actor, kpi_filter: KpiFilter, group_by: KpiGroupBy, seller_ids: list[str]
) -> dict[str, list[KpiSummaryRow]]:
    """For each seller of `seller_ids`, exactly the rows `kpi_summary` gives with the filter's
    `seller_ids` set to that seller alone (same permission, scope and errors), in one go."""
    return await _summaries_by(
        "seller_ids", actor=actor, kpi_filter=kpi_filter, group_by=group_by, ids=seller_ids
    )
