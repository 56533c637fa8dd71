"""Live KPI updates: which entries written from now on a caller may follow, and for how long."""

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Protocol

from pydantic import AfterValidator, Field

from contract import messages
from contract.actor import Actor
from contract.errors import ServiceUnavailable
from contract.inputs import Input
from contract.permissions import Permission
from models import KpiEntry
from resolvers import stores
from resolvers.kpi.feed import KpiFeed, Subscriber
from resolvers.kpi.queries import MAX_IDS
from resolvers.kpi.scope import ReadingScope, reading_scope


def _distinct(ids: list[str]) -> list[str]:
    return sorted(set(ids))


class KpiUpdateFilter(Input):
    """Which stores' updates to follow: no `store_ids` means every store the caller reads."""

    store_ids: (
        Annotated[
            list[stores.StoreId],
            Field(min_length=1, max_length=MAX_IDS),
            AfterValidator(_distinct),
        ]
        | None
    ) = None


class Credentials(Protocol):
    """The credentials a subscription was opened with, checked again while it runs."""

    def due_in(self) -> float:
        """Seconds until they are to be checked again."""
        ...

    async def check(self) -> Actor:
        """The caller, the credentials checked now; raises the refusal (a revoked key, an
        ended session)."""
        ...


def watch_kpis(*, actor: Actor, filter: KpiUpdateFilter) -> ReadingScope:
    """The entries the caller may follow, as kpiEntries would let it read them: permission
    kpi:read; a named store outside the caller's scope is a 403; a seller sees only his own."""
    actor.require(Permission.KPI_READ)
    return reading_scope(actor, filter.store_ids)


async def _next(subscriber: Subscriber, timeout: float) -> KpiEntry | None:
    try:
        return await asyncio.wait_for(subscriber.queue.get(), timeout)
    except TimeoutError:
        return None


async def kpi_updates(
    *, actor: Actor, filter: KpiUpdateFilter, feed: KpiFeed, credentials: Credentials
) -> AsyncIterator[KpiEntry]:
    """Each entry the caller may read, as it is written (by any process), until its
    credentials stop holding (checked again when `credentials` says they are due). Naming a
    store the caller cannot read is refused before anything is followed: 403 outside his
    scope, 404 for one his tenant does not have."""
    watch = watch_kpis(actor=actor, filter=filter)
    if filter.store_ids is not None:
        await stores.require_readable(actor=actor, store_ids=filter.store_ids)
    clock = asyncio.get_running_loop().time
    due = clock() + credentials.due_in()
    with feed.subscribe(watch.tenant.gerant_id) as subscriber:
        while True:
            entry = await _next(subscriber, max(0.0, due - clock()))
            if subscriber.overflowed:
                raise ServiceUnavailable(messages.KPI_UPDATES_TOO_SLOW)
            if clock() >= due:
                watch = watch_kpis(actor=await credentials.check(), filter=filter)
                due = clock() + credentials.due_in()
            if entry is not None and watch.admits(entry):
                yield entry
