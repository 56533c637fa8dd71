"""A KPI batch is applied whole or not at all: failures injected on SecantusDB with fail points."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pymongo import UpdateOne

from contract import messages
from models import KpiEntry, KpiRollup, Role, User
from models.transactions import namespace
from resolvers.kpi import rollup_writes
from resolvers.kpi.scope import KpiTenant
from rpai.settings import Settings
from tests.support.app import key_known
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.round_trips import counter
from tests.support.transport import rest

pytestmark = pytest.mark.usefixtures("client")

DATE = "2024-01-15"
BAD_VALUE = 2  # a plain command failure: no retry label


@asynccontextmanager
async def failing(command: str) -> AsyncIterator[None]:
    """Make the server fail every `command` while the block runs."""
    admin = KpiEntry.get_motor_collection().database.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": "alwaysOn",
            "data": {"failCommands": [command], "errorCode": BAD_VALUE},
        }
    )
    try:
        yield
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})


def batch(store_id: str, sellers: list[User], amount: float, sales: int) -> dict[str, Any]:
    return {
        "store_id": store_id,
        "date": DATE,
        "kpi_entries": [
            {"seller_id": s.id, "ca_journalier": amount, "nb_ventes": sales, "nb_articles": 1}
            for s in sellers
        ],
    }


async def stored() -> dict[str, tuple[str, int]]:
    """Each seller's stored (amount, sales) for DATE."""
    entries = await KpiEntry.find({"date": DATE}).to_list()
    return {e.seller_id: (str(e.ca_journalier), e.nb_ventes) for e in entries}


async def rollups() -> list[dict[str, Any]]:
    found = KpiRollup.get_motor_collection().find({}, sort=[("_id", 1)])
    return [document async for document in found]


def failing_store_day(tenant: KpiTenant, document: dict[str, Any]) -> UpdateOne:
    """A store day's write the server refuses ($inc of a text): after the entries' upserts,
    in the same command."""
    return UpdateOne(
        tenant.one_rollup(document["_id"], document["store_id"]),
        {"$inc": {"store_id": 1}},
        namespace=namespace(KpiRollup),
    )


@pytest.mark.parametrize("command", ["bulkWrite", "commitTransaction"])
async def test_a_failed_resync_leaves_the_previous_batch_intact(
    client: httpx.AsyncClient, command: str
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    key = await make_key(gerant, permissions=["kpi:write"])
    first = await rest(client, "POST", "/kpi/sync", key, batch(store.id, sellers[:2], 100.5, 3))
    assert (first.status, first.data["entries_created"]) == (200, 2)
    before = await stored()

    async with failing(command):
        again = await rest(client, "POST", "/kpi/sync", key, batch(store.id, sellers, 999.99, 9))

    assert (again.status, again.detail) == (400, messages.KPI_WRITE_FAILED)
    assert await stored() == before == {s.id: ("100.50", 3) for s in sellers[:2]}


async def test_a_failed_rollup_write_leaves_entries_and_rollups_intact(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    key = await make_key(gerant, permissions=["kpi:write"])
    first = await rest(client, "POST", "/kpi/sync", key, batch(store.id, sellers[:2], 100.5, 3))
    assert first.status == 200
    entries_before, rollups_before = await stored(), await rollups()
    assert len(rollups_before) == 1  # the store's day (its month is folded later)

    monkeypatch.setattr(rollup_writes, "unfolded", failing_store_day)
    again = await rest(client, "POST", "/kpi/sync", key, batch(store.id, sellers, 999.99, 9))
    monkeypatch.undo()

    assert (again.status, again.detail) == (400, messages.KPI_WRITE_FAILED)
    assert (await stored(), await rollups()) == (entries_before, rollups_before)


async def test_a_sync_costs_three_reads_two_writes_and_one_commit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    assert settings.mongodb_url is not None
    database = settings.mongodb_url.rsplit("/", 1)[1]
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    key = await make_key(gerant, permissions=["kpi:write"])
    await key_known(client, key)
    start = len(counter.commands)
    outcome = await rest(client, "POST", "/kpi/sync", key, batch(store.id, sellers, 10.0, 1))
    seen = [name for db, name, _ in counter.commands[start:] if db in (database, "admin")]
    assert outcome.status == 200
    # The store and its sellers, the store's day read; then the new entries' insert, their
    # store day and the kpi.synced event (issue 22) in one command, and the commit. No month:
    # the projector folds it.
    assert seen == ["find", "find", "find", "insert", "bulkWrite", "commitTransaction"]
