"""Rebuilding and checking rollups read each store on an index, never the whole collection
(on SecantusDB, whose planner is what a whole-collection scan would show on)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pymongo import monitoring

from models import KpiEntry
from resolvers.kpi.rollup_admin import check_rollups, rebuild_rollups
from tests.support.chain import chain

pytestmark = pytest.mark.usefixtures("client")


class Finds(monitoring.CommandListener):
    """The (collection, filter) of every find command started while it listens."""

    def __init__(self) -> None:
        self.listening = False
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.listening and event.command_name == "find":
            self.seen.append((event.command["find"], dict(event.command.get("filter", {}))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        del event

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        del event


finds = Finds()
monitoring.register(finds)


@contextmanager
def listening() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    finds.seen, finds.listening = [], True
    try:
        yield finds.seen
    finally:
        finds.listening = False


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
