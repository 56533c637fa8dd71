"""Rebuilding and checking rollups read each store on an index, never the whole collection
(on SecantusDB, whose planner is what a whole-collection scan would show on)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from contract.credentials import actor_for_user
from models import KpiEntry, Role
from resolvers.kpi.rollup_admin import check_rollups, rebuild_rollups
from resolvers.kpi.sync import KpiSync, sync_kpis
from tests.support.chain import chain
from tests.support.commands_started import commands_started
from tests.support.factories import make_gerant, make_store, make_user

pytestmark = pytest.mark.usefixtures("client")


@contextmanager
def listening() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The (collection, filter) of every find started while the block runs."""
    finds: list[tuple[str, dict[str, Any]]] = []
    with commands_started() as seen:
        yield finds
    finds += [
        (c.command["find"], dict(c.command.get("filter", {}))) for c in seen if c.name == "find"
    ]


async def test_rebuild_and_check_read_each_store_on_an_index(client: httpx.AsyncClient) -> None:
    del client
    await chain(2)
    with listening() as seen:
        await rebuild_rollups(progress=lambda _line: None, restart=True)
        assert await check_rollups() == []
    database = KpiEntry.get_motor_collection().database
    scanned = {collection for collection, _ in seen} & {"kpi_entries", "kpi_rollups"}
    assert scanned == {"kpi_entries", "kpi_rollups"}
    for collection, query in seen:
        if collection not in scanned:
            continue
        plan = await database.command("explain", {"find": collection, "filter": query})
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (collection, query)


async def test_a_syncs_reads_walk_indexes(client: httpx.AsyncClient) -> None:
    del client
    gerant = await make_gerant()
    store = await make_store(gerant)
    # Sellers who changed stores: the sync also looks for their entries elsewhere.
    sellers = [await make_user(gerant, Role.SELLER, store, moved=True) for _ in range(3)]
    entries = [
        {"seller_id": s.id, "ca_journalier": 1, "nb_ventes": 1, "nb_articles": 1} for s in sellers
    ]
    data = KpiSync.model_validate(
        {"store_id": store.id, "date": "2025-03-01", "kpi_entries": entries}
    )
    with listening() as seen:
        await sync_kpis(actor=actor_for_user(gerant), data=data)
    database = KpiEntry.get_motor_collection().database
    read = [(collection, query) for collection, query in seen if collection == "kpi_entries"]
    assert len(read) == 2  # the store's day, and the synced sellers' entries elsewhere
    for collection, query in read:
        plan = await database.command("explain", {"find": collection, "filter": query})
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), query
