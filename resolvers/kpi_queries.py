"""What the KPI reads share: the period and filter, the caller's scope, sums and names."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Self

from bson import Decimal128
from pydantic import AfterValidator, BaseModel, Field, model_validator

from models import KpiEntry, Store, User
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import Forbidden
from resolvers.inputs import Identifier, Input
from resolvers.kpi import CENT, KpiDate

MAX_DAYS = 366
# The previous period and the day after the period must be dates too.
EARLIEST = date.min + timedelta(days=MAX_DAYS)
LATEST = date.max - timedelta(days=1)
MAX_IDS = 100
# Without an explicit batch size the server stops the first reply at 101 documents and the
# driver needs a getMore round trip; every result of these reads fits in one reply.
BATCH_SIZE = 10_000
SUMMED = {
    "ca": "$ca_journalier",
    "nb_ventes": "$nb_ventes",
    "nb_articles": "$nb_articles",
    "prospects": "$prospects",
}


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


def days_between(start: str, end: str) -> dict[str, str]:
    """From `start` to `end` inclusive, written as [start, the day after end).

    SecantusDB's index scans drop the keys equal to a `$lte` bound on a field that is not the
    last of the index (`date` in tenant_date_store_seller); an exclusive bound reads them all.
    """
    after_end = date.fromisoformat(end) + timedelta(days=1)
    return {"$gte": start, "$lt": after_end.isoformat()}


def matching(
    actor: Actor, start: str, end: str, conditions: dict[str, Any]
) -> list[dict[str, Any]]:
    """The tenant's entries from `start` to `end` meeting `conditions`, as $match stages.

    The tenant and dates stand alone in the first stage: SecantusDB's planner scans the whole
    collection as soon as an `$in` joins them, but uses the index for this stage alone.
    MongoDB merges adjacent $match stages, so the split costs nothing there.
    """
    stages: list[dict[str, Any]] = [
        {"$match": {"gerant_id": actor.gerant_id, "date": days_between(start, end)}}
    ]
    if conditions:
        stages.append({"$match": conditions})
    return stages


async def aggregate(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every result of `pipeline` on the KPI entries, in one round trip."""
    cursor = KpiEntry.get_motor_collection().aggregate(pipeline, batchSize=BATCH_SIZE)
    found: list[dict[str, Any]] = await cursor.to_list(None)
    return found


async def named(model: type[Store] | type[User], actor: Actor, ids: list[str]) -> dict[str, Named]:
    """The tenant's stores or users among `ids`, by id, in one query."""
    if not ids:
        return {}
    query = {"_id": {"$in": ids}, "gerant_id": actor.gerant_id}
    found = await model.find(query, projection_model=Named).to_list()
    return {item.id: item for item in found}


async def stores_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The stores of entries already read, in the order of `ids` (None for an unknown id)."""
    found = await named(Store, actor, ids)
    return [found.get(store_id) for store_id in ids]


async def sellers_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The sellers of entries already read, deleted ones included, in the order of `ids`."""
    found = await named(User, actor, ids)
    return [found.get(seller_id) for seller_id in ids]


@dataclass(frozen=True)
class KpiTotals:
    """Exact sums over a group of entries."""

    ca: Decimal = Decimal(0)
    nb_ventes: int = 0
    nb_articles: int = 0
    prospects: int = 0


def decimal_sum(value: Decimal128 | int) -> Decimal:
    """A sum read back: Decimal128, or the integer 0 when no amount was added."""
    return value.to_decimal() if isinstance(value, Decimal128) else Decimal(value)


def totals_of(group: dict[str, Any], prefix: str = "") -> KpiTotals:
    return KpiTotals(
        ca=decimal_sum(group[prefix + "ca"]),
        nb_ventes=group[prefix + "nb_ventes"],
        nb_articles=group[prefix + "nb_articles"],
        prospects=group[prefix + "prospects"],
    )


def money_text(amount: Decimal) -> str:
    """An amount as the API writes it: to the cent (half-up), always two decimals: `1250.50`."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):f}"
