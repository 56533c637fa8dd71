"""What the KPI reads share: the period and filter, where each read starts (within the
caller's `ReadingScope`), and the names of stores and sellers."""

from datetime import date, timedelta
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from contract import messages
from contract.actor import Actor
from contract.inputs import Identifier, Input
from models import KpiEntry, KpiRollup, Store, User
from resolvers.kpi.scope import KpiTenant, ReadingScope, tenant_of
from resolvers.kpi.sync import KpiDate

MAX_DAYS = 366
MAX_IDS = 100
# Without an explicit batch size the server stops the first reply at 101 documents and the
# driver needs a getMore round trip; every result of these reads fits in one reply.
BATCH_SIZE = 10_000


def _distinct(ids: list[str]) -> list[str]:
    return sorted(set(ids))


IdList = Annotated[
    list[Identifier], Field(min_length=1, max_length=MAX_IDS), AfterValidator(_distinct)
]


class KpiPeriod(Input):
    """From `from` to `to`, both inclusive, at most 366 days; each a day a sync accepts."""

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
        return self


class KpiFilter(KpiPeriod):
    """Which entries to read; no `store_ids` means every store the caller may read."""

    store_ids: IdList | None = None
    seller_ids: IdList | None = None


class Named(BaseModel):
    """A store or seller as KPI results show it."""

    id: str = Field(alias="_id")
    name: str


def days_between(start: str, end: str) -> dict[str, str]:
    """From `start` to `end` inclusive, written as [start, the day after end).

    SecantusDB's index scans drop the keys equal to a `$lte` bound on a field that is not the
    last of the index; an exclusive bound reads them all.
    """
    after_end = date.fromisoformat(end) + timedelta(days=1)
    return {"$gte": start, "$lt": after_end.isoformat()}


def narrowed(
    first: dict[str, Any], field: str, ids: list[str] | None, rest: dict[str, Any]
) -> list[dict[str, Any]]:
    """$match stages: `first`, narrowed to `ids` of `field` in the first, index-backed stage
    where one index holds them all; `rest` follows.

    One id joins the first stage as an equality. Several join it only without a range: the
    SecantusDB planner scans the whole collection for an `$in` beside a range on the same
    index, so the range then moves to the next stage (MongoDB merges adjacent $match stages).
    """
    if ids is None:
        return [{"$match": first}, *([{"$match": rest}] if rest else [])]
    if len(ids) == 1:
        return [{"$match": {**first, field: ids[0]}}, *([{"$match": rest}] if rest else [])]
    ranged = {name: value for name, value in first.items() if isinstance(value, dict)}
    exact = {name: value for name, value in first.items() if name not in ranged}
    return [{"$match": {**exact, field: {"$in": ids}}}, {"$match": {**ranged, **rest}}]


def entry_stages(scope: ReadingScope, start: str, end: str) -> list[dict[str, Any]]:
    """The tenant's raw entries from `start` to `end` within `scope`, as $match stages: by
    seller first when sellers are named (their index), else by store when one is, else by
    tenant and dates."""
    dates = days_between(start, end)
    stores: dict[str, Any] = {"store_id": {"$in": scope.stores}} if scope.stores is not None else {}
    if scope.sellers is not None:
        return narrowed({"date": dates}, "seller_id", scope.sellers, scope.tenant.entries(**stores))
    if scope.stores is not None and len(scope.stores) == 1:
        return narrowed(scope.tenant.entries(date=dates), "store_id", scope.stores, {})
    return [
        {"$match": scope.tenant.entries(date=dates)},
        *([{"$match": stores}] if stores else []),
    ]


def rollup_stages(
    tenant: KpiTenant, kind: str, periods: dict[str, str], stores: list[str] | None
) -> list[dict[str, Any]]:
    """The tenant's rollups of `kind` over `periods` of `stores` (None: every store), as $match
    stages, led by the most selective index: stores, else the tenant's periods."""
    return narrowed(tenant.rollups(kind=kind, period=periods), "store_id", stores, {})


async def aggregate(
    collection: type[KpiEntry] | type[KpiRollup], pipeline: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every result of `pipeline`, in one round trip."""
    cursor = collection.get_motor_collection().aggregate(pipeline, batchSize=BATCH_SIZE)
    found: list[dict[str, Any]] = await cursor.to_list(None)
    return found


async def named(model: type[Store] | type[User], actor: Actor, ids: list[str]) -> dict[str, Named]:
    """The tenant's stores or users among `ids`, by id, in one query.

    Past MAX_IDS ids the tenant's names are read whole (on its index) and those asked kept:
    SecantusDB's `$in` slows with the length of its list (the names of 1000 sellers by id took
    1.4 s; all 1100 users of their tenant, 41 ms)."""
    if not ids:
        return {}
    query = tenant_of(actor).named(ids if len(ids) <= MAX_IDS else None)
    found = model.find(query, projection_model=Named, batch_size=BATCH_SIZE)
    wanted = set(ids)
    return {item.id: item async for item in found if item.id in wanted}


async def stores_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The stores of entries already read, in the order of `ids` (None for an unknown id)."""
    found = await named(Store, actor, ids)
    return [found.get(store_id) for store_id in ids]


async def sellers_named(*, actor: Actor, ids: list[str]) -> list[Named | None]:
    """The sellers of entries already read, deleted ones included, in the order of `ids`."""
    found = await named(User, actor, ids)
    return [found.get(seller_id) for seller_id in ids]
