"""Live KPI updates: which entries written from now on a caller may follow, and for how long."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from infra.kpi_feed import KpiFeed, Subscriber
from models import KpiEntry
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import ServiceUnavailable
from resolvers.inputs import Input
from resolvers.kpi_queries import IdList
from resolvers.permissions import Permission

# How often a subscription checks that its credentials still hold: a revoked key, an ended
# session or a suspended user closes it within this time (keys cost nothing to check: the
# process holds them; a session is read again).
RECHECK_SECONDS = 1.0


class KpiUpdateFilter(Input):
    """Which stores' updates to follow: no `store_ids` means every store the caller reads."""

    store_ids: IdList | None = None


@dataclass(frozen=True)
class KpiWatch:
    """What a caller follows: the tenant's entries of some stores, or of one seller."""

    gerant_id: str
    store_ids: frozenset[str] | None  # None: every store of the tenant
    seller_id: str | None  # a seller's session: his own entries only

    def admits(self, entry: KpiEntry) -> bool:
        return (
            entry.gerant_id == self.gerant_id
            and (self.store_ids is None or entry.store_id in self.store_ids)
            and (self.seller_id is None or entry.seller_id == self.seller_id)
        )


def watch_kpis(*, actor: Actor, filter: KpiUpdateFilter) -> KpiWatch:
    """The entries the caller may follow, as kpiEntries would let it read them: permission
    kpi:read; a named store outside the caller's scope is a 403; a seller sees only his own."""
    actor.require(Permission.KPI_READ)
    stores = actor.store_ids
    if filter.store_ids is not None:
        for store_id in filter.store_ids:
            actor.require_store(store_id)
        stores = frozenset(filter.store_ids)
    return KpiWatch(gerant_id=actor.gerant_id, store_ids=stores, seller_id=actor.own_seller_id)


async def _next(subscriber: Subscriber, timeout: float) -> KpiEntry | None:
    try:
        return await asyncio.wait_for(subscriber.queue.get(), timeout)
    except TimeoutError:
        return None


async def kpi_updates(
    *,
    actor: Actor,
    filter: KpiUpdateFilter,
    feed: KpiFeed,
    reauthenticate: Callable[[], Awaitable[Actor]],
    recheck_seconds: float = RECHECK_SECONDS,
) -> AsyncIterator[KpiEntry]:
    """Each entry the caller may read, as it is written (by any process), until its
    credentials stop holding: `reauthenticate` runs the authentication again every
    `recheck_seconds` and raises the refusal (a revoked key, an ended session)."""
    watch = watch_kpis(actor=actor, filter=filter)
    clock = asyncio.get_running_loop().time
    checked = clock()
    with feed.subscribe(actor.gerant_id) as subscriber:
        while True:
            entry = await _next(subscriber, max(0.0, checked + recheck_seconds - clock()))
            if subscriber.overflowed:
                raise ServiceUnavailable(messages.KPI_UPDATES_TOO_SLOW)
            if clock() >= checked + recheck_seconds:
                watch = watch_kpis(actor=await reauthenticate(), filter=filter)
                checked = clock()
            if entry is not None and watch.admits(entry):
                yield entry
