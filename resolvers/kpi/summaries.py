"""KPI summaries: totals and ratios per group, against the previous period of the same length.

Read from the stores' month rollups, so the cost grows with stores and months, not with
entries: their totals, their days (where a period cuts a month, or rows are days), their
sellers (for seller rows, with raw entries where a period cuts a month); raw entries only
where a seller is read day by day.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from contract import messages
from contract.actor import Actor
from contract.permissions import Permission
from models import KpiEntry, KpiRollup, RollupKind, Store, User
from resolvers.french_calendar import MONTHS, WEEKDAYS
from resolvers.kpi.comparison import KpiComparison, comparison_period, comparison_shift
from resolvers.kpi.figures import CENT, Figures, packed_sums, to_cents
from resolvers.kpi.month_reads import month_rollups
from resolvers.kpi.queries import KpiFilter, aggregate, entry_stages, named, rollup_stages
from resolvers.kpi.scope import ReadingScope, reading_scope

RATIO = Decimal("0.0001")
TOTAL_KEY = "total"


class KpiGroupBy(Enum):
    SELLER = "seller"
    STORE = "store"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


ENTRY_SUMS = {
    "ca": {"$sum": "$ca_journalier"},
    "nb_ventes": {"$sum": "$nb_ventes"},
    "nb_articles": {"$sum": "$nb_articles"},
    "prospects": {"$sum": "$prospects"},
    "entries": {"$sum": 1},
}


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


def _exact(totals: Figures) -> dict[str, Decimal | None]:
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


def _metrics(totals: Figures) -> KpiMetrics:
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


def _change(current: Figures, previous: Figures) -> KpiChange:
    """Computed on the exact values, so that rounding for display neither hides nor makes one."""
    now, before = _exact(current), _exact(previous)
    return KpiChange(**{name: _relative(now[name], before[name]) for name in now})


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _split(start: date, end: date) -> tuple[list[str], list[tuple[str, str]]]:
    """The whole months within [start, end] (YYYY-MM), and the day ranges left at its edges."""
    first = start if start.day == 1 else _next_month(start)
    months: list[str] = []
    month = first
    while _next_month(month) - timedelta(days=1) <= end:
        months.append(month.strftime("%Y-%m"))
        month = _next_month(month)
    if not months:
        return [], [(start.isoformat(), end.isoformat())]
    edges = []
    if start < first:
        edges.append((start.isoformat(), (first - timedelta(days=1)).isoformat()))
    if month <= end:
        edges.append((month.isoformat(), end.isoformat()))
    return months, edges


def _month_range(first: str, last: str) -> dict[str, str]:
    """The months from `first` to `last` (YYYY-MM), as a range of `period`."""
    after = _next_month(date.fromisoformat(f"{last}-01"))
    return {"$gte": first, "$lt": after.strftime("%Y-%m")}


def _key(group_by: KpiGroupBy, store_id: str, seller_id: str | None, when: str, shift: int) -> str:
    """The row a sum belongs to; `when` is a day, or a month (YYYY-MM) read whole. The previous
    period's days move `shift` days later, into the row one period later, so each row compares
    like with like."""
    if group_by is KpiGroupBy.TOTAL:
        return TOTAL_KEY
    if group_by is KpiGroupBy.STORE:
        return store_id
    if group_by is KpiGroupBy.SELLER:
        return str(seller_id)
    if len(when) == len("YYYY-MM"):
        return when
    day = date.fromisoformat(when) + timedelta(days=shift)
    if group_by is KpiGroupBy.DAY:
        return day.isoformat()
    if group_by is KpiGroupBy.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.strftime("%Y-%m")


def _entry_figures(group: dict[str, Any]) -> Figures:
    amount = group["ca"]
    return Figures(
        ca_cents=to_cents(amount) if not isinstance(amount, int) else amount * 100,
        nb_ventes=group["nb_ventes"],
        nb_articles=group["nb_articles"],
        prospects=group["prospects"],
        entries=group["entries"],
    )


class Sums:
    """Figures added up per owner (a store or seller, or "" for all) and per row.

    Kept as lists of the five sums until read: a year of a chain's days is tens of thousands
    of additions."""

    def __init__(self, group_by: KpiGroupBy, shift: int, owner: str | None) -> None:
        self.group_by, self.shift, self.owner = group_by, shift, owner
        self.sums: dict[str, dict[str, list[int]]] = {}
        self.dated = group_by in (KpiGroupBy.DAY, KpiGroupBy.WEEK, KpiGroupBy.MONTH)
        self.rows_of_when: dict[str, str] = {}  # the row of each day or month, once worked out

    def _row(self, store_id: str, seller_id: str | None, when: str) -> str:
        if not self.dated:
            return _key(self.group_by, store_id, seller_id, when, self.shift)
        row = self.rows_of_when.get(when)
        if row is None:
            row = self.rows_of_when[when] = _key(self.group_by, "", None, when, self.shift)
        return row

    def add(self, store_id: str, seller_id: str | None, when: str, figures: Sequence[int]) -> None:
        """Add `figures` (in FIGURE_FIELDS order) to the row `when` and its owner fall in."""
        if not figures[-1]:
            return  # sellers whose entries all moved to another store keep zeros
        of = {"store_id": store_id, "seller_id": seller_id}.get(self.owner or "", "")
        rows = self.sums.setdefault(str(of), {})
        row = self._row(store_id, seller_id, when)
        total = rows.get(row)
        if total is None:
            rows[row] = list(figures)
        else:
            for n, value in enumerate(figures):
                total[n] += value

    @property
    def rows(self) -> dict[str, dict[str, Figures]]:
        return {
            of: {row: Figures(*total) for row, total in rows.items()}
            for of, rows in self.sums.items()
        }


@dataclass(frozen=True)
class Piece:
    """One read of a summary: raw entries, grouped in the database, or stores' month rollups."""

    collection: type[KpiEntry] | type[KpiRollup]
    stages: list[dict[str, Any]]
    months: dict[str, str] | None = None  # the range of months a rollup piece reads; None: entries


def _by_seller(scope: ReadingScope, group_by: KpiGroupBy) -> bool:
    return scope.sellers is not None or group_by is KpiGroupBy.SELLER


def _by_day(group_by: KpiGroupBy, shifted: bool) -> bool:
    """Rows are days or weeks, or the previous period's days move into this one's months."""
    return group_by in (KpiGroupBy.DAY, KpiGroupBy.WEEK) or (
        group_by is KpiGroupBy.MONTH and shifted
    )


def summary_pieces(
    scope: ReadingScope, group_by: KpiGroupBy, start: date, end: date, shifted: bool
) -> list[Piece]:
    """The reads that sum `scope` from `start` to `end` for `group_by`: the stores' month
    rollups it touches; for seller rows, the whole months' rollups and the raw entries of the
    days around them (or of the whole period, when a seller is read day by day)."""
    stores = scope.stores
    month_kind = RollupKind.STORE_MONTH.value
    if not _by_seller(scope, group_by):
        touched = _month_range(start.strftime("%Y-%m"), end.strftime("%Y-%m"))
        return [Piece(KpiRollup, rollup_stages(scope.tenant, month_kind, touched, stores), touched)]
    if _by_day(group_by, shifted):
        return [Piece(KpiEntry, entry_stages(scope, start.isoformat(), end.isoformat()))]
    months, edges = _split(start, end)
    pieces = [Piece(KpiEntry, entry_stages(scope, a, b)) for a, b in edges]
    if months:
        whole = _month_range(months[0], months[-1])
        stages = rollup_stages(scope.tenant, month_kind, whole, stores)
        pieces.append(Piece(KpiRollup, stages, whole))
    return pieces


async def _add_entries(sums: Sums, stages: list[dict[str, Any]]) -> None:
    dated = sums.group_by in (KpiGroupBy.DAY, KpiGroupBy.WEEK, KpiGroupBy.MONTH)
    group_id = {"store": "$store_id", "seller": "$seller_id", "when": "$date" if dated else "-"}
    for found in await aggregate(KpiEntry, [*stages, {"$group": {"_id": group_id, **ENTRY_SUMS}}]):
        key = found["_id"]
        sums.add(key["store"], key["seller"], str(key["when"]), _entry_figures(found).as_tuple())


def _add_month(
    sums: Sums,
    month: dict[str, Any],
    period: tuple[date, date],
    how: str,
    sellers: list[str] | None,
) -> None:
    """A store's month rollup: its totals, its days within the period, or its sellers."""
    store_id, start, end = month["store_id"], period[0].isoformat(), period[1].isoformat()
    if how == "sellers":
        for seller_id, figures in packed_sums(month.get("sellers")).items():
            if sellers is None or seller_id in sellers:
                sums.add(store_id, seller_id, month["period"], figures)
    elif how == "days":
        for day, figures in packed_sums(month.get("days")).items():
            if start <= day <= end:
                sums.add(store_id, None, day, figures)
    else:
        sums.add(store_id, None, month["period"], Figures.of_sums(month).as_tuple())


async def _sums(
    scope: ReadingScope,
    group_by: KpiGroupBy,
    period: tuple[date, date],
    shift: int,
    owner: str | None = None,
) -> dict[str, dict[str, Figures]]:
    """The figures of each row over the period; by `owner` (`store_id` or `seller_id`) when
    given, else all under ""."""
    sums = Sums(group_by, shift, owner)
    start, end = period
    whole = set(_split(start, end)[0])
    by_day = _by_day(group_by, shift != 0)
    for piece in summary_pieces(scope, group_by, start, end, shifted=shift != 0):
        if piece.months is None:  # raw entries
            await _add_entries(sums, piece.stages)
            continue
        for month in await month_rollups(scope.tenant, piece.stages, piece.months, scope.stores):
            if _by_seller(scope, group_by):
                how = "sellers"
            else:
                how = "days" if by_day or month["period"] not in whole else "totals"
            _add_month(sums, month, period, how, scope.sellers)
    return sums.rows


def _periods(
    kpi_filter: KpiFilter, compare: KpiComparison
) -> tuple[tuple[date, date], tuple[date, date], int]:
    """The filter's period, the one of the same length it is compared with, and how many days
    separate them."""
    start, end = date.fromisoformat(kpi_filter.from_), date.fromisoformat(kpi_filter.to)
    return (
        (start, end),
        comparison_period(start, end, compare),
        comparison_shift(start, end, compare),
    )


def _rows(
    group_by: KpiGroupBy,
    current: dict[str, Figures],
    previous: dict[str, Figures],
    labels: dict[str, str],
) -> list[KpiSummaryRow]:
    return [
        KpiSummaryRow(
            key=key,
            label=labels[key],
            current=_metrics(current.get(key, Figures())),
            previous=_metrics(previous.get(key, Figures())),
            change=_change(current.get(key, Figures()), previous.get(key, Figures())),
        )
        for key in _keys(group_by, current, previous)
    ]


def _keys(
    group_by: KpiGroupBy, current: dict[str, Figures], previous: dict[str, Figures]
) -> list[str]:
    """A row for each group with entries in either period; TOTAL always has its one row."""
    keys = sorted(set(current) | set(previous))
    if group_by is KpiGroupBy.TOTAL and not keys:
        keys = [TOTAL_KEY]
    return keys


def _period_label(group_by: KpiGroupBy, key: str) -> str:
    """`mardi 4 mars 2025`, `semaine 10 2025`, `mars 2025` or `Total`."""
    if group_by is KpiGroupBy.TOTAL:
        return messages.KPI_TOTAL_LABEL
    if group_by is KpiGroupBy.WEEK:
        year, week = key.split("-W")
        return messages.KPI_WEEK_LABEL.format(week=int(week), year=year)
    if group_by is KpiGroupBy.MONTH:
        year, month = key.split("-")
        return messages.KPI_MONTH_LABEL.format(month=MONTHS[int(month) - 1], year=year)
    day = date.fromisoformat(key)
    return messages.KPI_DAY_LABEL.format(
        weekday=WEEKDAYS[day.weekday()],
        day=messages.KPI_FIRST_DAY if day.day == 1 else day.day,
        month=MONTHS[day.month - 1],
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
    *,
    actor: Actor,
    kpi_filter: KpiFilter,
    group_by: KpiGroupBy,
    compare: KpiComparison = KpiComparison.PREVIOUS_PERIOD,
) -> list[KpiSummaryRow]:
    """Totals and ratios per group, each with the comparison period's (`comparison_shift`;
    by default the period just before) and the relative change.

    Rows are sorted by key (chronological, or creation order of sellers and stores); a group
    with entries in either period has a row; TOTAL always has its one row.
    """
    actor.require(Permission.KPI_READ)
    scope = reading_scope(actor, kpi_filter.store_ids, kpi_filter.seller_ids)
    now, before, shift = _periods(kpi_filter, compare)
    current = (await _sums(scope, group_by, now, 0)).get("", {})
    previous = (await _sums(scope, group_by, before, shift)).get("", {})
    labels = await _labels(actor, group_by, _keys(group_by, current, previous))
    return _rows(group_by, current, previous, labels)


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
    scope = reading_scope(actor, narrowed.store_ids, narrowed.seller_ids)
    owner = "store_id" if field == "store_ids" else "seller_id"
    now, before, shift = _periods(kpi_filter, KpiComparison.PREVIOUS_PERIOD)
    current = await _sums(scope, group_by, now, 0, owner)
    previous = await _sums(scope, group_by, before, shift, owner)
    keys = {of: _keys(group_by, current.get(of, {}), previous.get(of, {})) for of in wanted}
    labels = await _labels(
        actor, group_by, sorted({key for found in keys.values() for key in found})
    )
    return {of: _rows(group_by, current.get(of, {}), previous.get(of, {}), labels) for of in wanted}


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


def compared_period(kpi_filter: KpiFilter, compare: KpiComparison) -> tuple[str, str]:
    """The days (YYYY-MM-DD) `kpi_summary` compares the filter's period with."""
    _, (start, end), _ = _periods(kpi_filter, compare)
    return start.isoformat(), end.isoformat()
