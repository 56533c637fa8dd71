"""Reading KPIs: pages of entries, summaries against the previous period, daily reconciliation."""

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Annotated, Any, Self

from bson import Decimal128
from pydantic import AfterValidator, BaseModel, Field, model_validator

from models import KpiEntry, Store, User
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import BadRequest, Forbidden
from resolvers.inputs import Input
from resolvers.kpi import CENT, Identifier, KpiDate
from resolvers.permissions import Permission
from resolvers.stores import get_tenant_store

MAX_DAYS = 366
# The previous period and the day after the period must be dates too.
EARLIEST = date.min + timedelta(days=MAX_DAYS)
LATEST = date.max - timedelta(days=1)
MAX_IDS = 100
MAX_PAGE = 100
RATIO = Decimal("0.0001")
TOTAL_KEY = "total"
ENTRY_ORDER = ("date", "store_id", "seller_id")
# Without an explicit batch size the server stops the first reply at 101 documents and the
# driver needs a getMore round trip; every result of these reads fits in one reply.
BATCH_SIZE = 10_000
SUMMED = {
    "ca": "$ca_journalier",
    "nb_ventes": "$nb_ventes",
    "nb_articles": "$nb_articles",
    "prospects": "$prospects",
}
PREVIOUS = "previous_"


def _distinct(ids: list[str]) -> list[str]:
    return sorted(set(ids))


IdList = Annotated[
    list[Identifier], Field(min_length=1, max_length=MAX_IDS), AfterValidator(_distinct)
]


class KpiPeriod(Input):
    """From `from` to `to`, both inclusive, at most 366 days."""

    from_: KpiDate = Field(alias="from")
    to: KpiDate

    @property
    def days(self) -> int:
        return (date.fromisoformat(self.to) - date.fromisoformat(self.from_)).days + 1

    @model_validator(mode="after")
    def ordered_and_bounded(self) -> Self:
        if self.days < 1:
            raise ValueError(messages.KPI_PERIOD_REVERSED)
        if self.days > MAX_DAYS:
            raise ValueError(messages.KPI_PERIOD_TOO_LONG.format(days=self.days, maximum=MAX_DAYS))
        if date.fromisoformat(self.from_) < EARLIEST or date.fromisoformat(self.to) > LATEST:
            raise ValueError(
                messages.KPI_PERIOD_OUT_OF_RANGE.format(earliest=EARLIEST, latest=LATEST)
            )
        return self


class KpiFilter(KpiPeriod):
    """Which entries to read; no `store_ids` means every store the caller may read."""

    store_ids: IdList | None = None
    seller_ids: IdList | None = None


class KpiReconciliationQuery(KpiPeriod):
    store_id: Identifier


class KpiGroupBy(Enum):
    SELLER = "seller"
    STORE = "store"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


BUCKET_FORMATS = {KpiGroupBy.DAY: "%Y-%m-%d", KpiGroupBy.WEEK: "%G-W%V", KpiGroupBy.MONTH: "%Y-%m"}


class Named(BaseModel):
    """A store or seller as KPI results show it."""

    id: str = Field(alias="_id")
    name: str


def readable_entries(actor: Actor, kpi_filter: KpiFilter) -> dict[str, Any]:
    """Conditions narrowing the tenant's entries to the filter and the caller's stores.

    A store named by the filter but outside the caller's scope is a 403; without `store_ids`
    the entries are those of every store the caller may read. A seller reads only his own
    entries: naming any other seller is a 403. Nothing excludes deactivated stores or deleted
    sellers: their history stays readable.
    """
    conditions: dict[str, Any] = {}
    if kpi_filter.store_ids is not None:
        for store_id in kpi_filter.store_ids:
            actor.require_store(store_id)
        conditions["store_id"] = {"$in": kpi_filter.store_ids}
    elif actor.store_ids is not None:
        conditions["store_id"] = {"$in": sorted(actor.store_ids)}
    if actor.own_seller_id is not None:
        if kpi_filter.seller_ids not in (None, [actor.own_seller_id]):
            raise Forbidden(messages.SELLER_OWN_KPIS_ONLY)
        conditions["seller_id"] = actor.own_seller_id
    elif kpi_filter.seller_ids is not None:
        conditions["seller_id"] = {"$in": kpi_filter.seller_ids}
    return conditions


def _days(start: str, end: str) -> dict[str, str]:
    """From `start` to `end` inclusive, written as [start, the day after end).

    SecantusDB's index scans drop the keys equal to a `$lte` bound on a field that is not the
    last of the index (`date` in tenant_date_store_seller); an exclusive bound reads them all.
    """
    after_end = date.fromisoformat(end) + timedelta(days=1)
    return {"$gte": start, "$lt": after_end.isoformat()}


def _matching(
    actor: Actor, start: str, end: str, conditions: dict[str, Any]
) -> list[dict[str, Any]]:
    """The tenant's entries from `start` to `end` meeting `conditions`, as $match stages.

    The tenant and dates stand alone in the first stage: SecantusDB's planner scans the whole
    collection as soon as an `$in` joins them, but uses the index for this stage alone.
    MongoDB merges adjacent $match stages, so the split costs nothing there.
    """
    stages: list[dict[str, Any]] = [
        {"$match": {"gerant_id": actor.gerant_id, "date": _days(start, end)}}
    ]
    if conditions:
        stages.append({"$match": conditions})
    return stages


async def _aggregate(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every result of `pipeline` on the KPI entries, in one round trip."""
    cursor = KpiEntry.get_motor_collection().aggregate(pipeline, batchSize=BATCH_SIZE)
    found: list[dict[str, Any]] = await cursor.to_list(None)
    return found


async def _named(model: type[Store] | type[User], actor: Actor, ids: list[str]) -> dict[str, Named]:
    """The tenant's stores or users among `ids`, by id, in one query."""
    if not ids:
        return {}
    query = {"_id": {"$in": ids}, "gerant_id": actor.gerant_id}
    found = await model.find(query, projection_model=Named).to_list()
    return {named.id: named for named in found}


async def stores_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The stores of entries already read, in the order of `ids` (None for an unknown id)."""
    found = await _named(Store, actor, ids)
    return [found.get(store_id) for store_id in ids]


async def sellers_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The sellers of entries already read, deleted ones included, in the order of `ids`."""
    found = await _named(User, actor, ids)
    return [found.get(seller_id) for seller_id in ids]


@dataclass(frozen=True)
class KpiEntryPage:
    entries: list[KpiEntry]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return cursor_of(self.entries[-1]) if self.entries else None


def cursor_of(entry: KpiEntry) -> str:
    """An opaque position: the entry's sort key (date, store, seller) as base64 JSON."""
    key = json.dumps([entry.date, entry.store_id, entry.seller_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(key.encode()).decode()


def _after(cursor: str) -> tuple[str, str, str]:
    """The sort key a cursor holds; anything else is a 400."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:  # bad base64, bad UTF-8 or bad JSON alike
        raise BadRequest(messages.INVALID_CURSOR) from None
    if not (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)):
        raise BadRequest(messages.INVALID_CURSOR)
    day, store_id, seller_id = key
    return day, store_id, seller_id


def entries_pipeline(
    actor: Actor, kpi_filter: KpiFilter, first: int, after: str | None
) -> list[dict[str, Any]]:
    """The page of `first` entries after the cursor (plus one, to tell if more follow)."""
    conditions = readable_entries(actor, kpi_filter)
    start = kpi_filter.from_
    if after is not None:
        day, store_id, seller_id = _after(after)
        start = max(start, day)
        conditions["$or"] = [
            {"date": {"$gt": day}},
            {"date": day, "store_id": {"$gt": store_id}},
            {"date": day, "store_id": store_id, "seller_id": {"$gt": seller_id}},
        ]
    return [
        *_matching(actor, start, kpi_filter.to, conditions),
        {"$sort": dict.fromkeys(ENTRY_ORDER, 1)},
        {"$limit": first + 1},
    ]


async def kpi_entries(
    *, actor: Actor, kpi_filter: KpiFilter, first: int, after: str | None
) -> KpiEntryPage:
    """Entries in (date, store, seller) order, `first` at a time (one seller per day is unique)."""
    actor.require(Permission.KPI_READ)
    if not 1 <= first <= MAX_PAGE:
        raise BadRequest(messages.PAGE_SIZE_RANGE.format(maximum=MAX_PAGE))
    found = await _aggregate(entries_pipeline(actor, kpi_filter, first, after))
    entries = [KpiEntry.model_validate(document) for document in found[:first]]
    return KpiEntryPage(entries=entries, has_next_page=len(found) > first)


@dataclass(frozen=True)
class KpiTotals:
    """Exact sums over a group of entries."""

    ca: Decimal = Decimal(0)
    nb_ventes: int = 0
    nb_articles: int = 0
    prospects: int = 0


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
        *_matching(actor, previous_start, kpi_filter.to, readable_entries(actor, kpi_filter)),
        {"$group": {"_id": group_key, **sums}},
        {"$sort": {"_id": 1}},
    ]


def _decimal(value: Decimal128 | int) -> Decimal:
    """A sum read back: Decimal128, or the integer 0 when no amount was added."""
    return value.to_decimal() if isinstance(value, Decimal128) else Decimal(value)


def _totals(group: dict[str, Any], prefix: str = "") -> KpiTotals:
    return KpiTotals(
        ca=_decimal(group[prefix + "ca"]),
        nb_ventes=group[prefix + "nb_ventes"],
        nb_articles=group[prefix + "nb_articles"],
        prospects=group[prefix + "prospects"],
    )


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
        names = await _named(model, actor, keys)
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
    groups = await _aggregate(summary_pipeline(actor, kpi_filter, group_by))
    sums = {group["_id"]: (_totals(group), _totals(group, PREVIOUS)) for group in groups}
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


def money_text(amount: Decimal) -> str:
    """An amount as the API writes it: to the cent (half-up), always two decimals: `1250.50`."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):f}"


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
                "date": _days(query.from_, query.to),
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
    totals = _totals(group) if group else KpiTotals()
    lines = [
        DayLine(**{**line, "ca_journalier": _decimal(line["ca_journalier"])})
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
        group["_id"]: group for group in await _aggregate(reconciliation_pipeline(actor, query))
    }
    start = date.fromisoformat(query.from_)
    days = [(start + timedelta(days=n)).isoformat() for n in range(query.days)]
    return KpiReconciliation(
        store_id=query.store_id,
        date_from=query.from_,
        date_to=query.to,
        days=[_day(day, groups.get(day)) for day in days],
    )
