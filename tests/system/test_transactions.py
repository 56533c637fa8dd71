"""A transaction cut short is never left open on the server, where it would hold its writes'
locks and refuse every other writer of the same documents until it expires (60 s)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pymongo
import pytest
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.errors import NetworkTimeout, OperationFailure

from models import Store, transactions
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_store

pytestmark = pytest.mark.usefixtures("client")

BAD_VALUE = 2
SLOW_MS = 1500


@asynccontextmanager
async def fail_point(command: str, **data: Any) -> AsyncIterator[None]:
    """A fail point on the next `command` only."""
    admin = Store.get_motor_collection().database.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": [command], **data},
        }
    )
    try:
        yield
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})


async def rename(store_id: str, name: str) -> None:
    async with transactions.transaction(Store) as session:
        await Store.get_motor_collection().update_one(
            {"_id": store_id}, {"$set": {"name": name}}, session=session
        )


async def rename_from_another_process(settings: Settings, store_id: str, name: str) -> None:
    """A transaction from a client of its own: it reuses none of our sessions, whose next
    transaction would end the one left open."""
    assert settings.mongodb_url is not None
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(settings.mongodb_url)
    stores = client.get_default_database()[Store.get_motor_collection().name]
    try:
        async with await client.start_session() as session, session.start_transaction():
            await stores.update_one({"_id": store_id}, {"$set": {"name": name}}, session=session)
    finally:
        client.close()


async def stored_name(store_id: str) -> str:
    found = await Store.get_motor_collection().find_one({"_id": store_id})
    assert found is not None
    return str(found["name"])


async def test_a_statement_reaching_the_server_after_its_abort_opens_nothing(
    settings: Settings,
) -> None:
    """The request gave up on its first statement (its time budget ran out while the server
    was slow to read it), aborted, and answered; the statement then reached the server. It
    must not open a transaction that no one will end."""
    store = await make_store(await make_gerant())
    async with fail_point("update", blockConnection=True, blockTimeMS=SLOW_MS):
        with pytest.raises(NetworkTimeout), pymongo.timeout(0.3):
            await rename(store.id, "late")
        await asyncio.sleep(SLOW_MS / 1000 + 0.5)  # the late statement has now run

    # WriteConflict while a transaction holds the store.
    await rename_from_another_process(settings, store.id, "next writer")

    assert await stored_name(store.id) == "next writer"


async def test_a_commit_the_server_refused_leaves_nothing_open(settings: Settings) -> None:
    store = await make_store(await make_gerant())
    async with fail_point("commitTransaction", errorCode=BAD_VALUE):
        with pytest.raises(OperationFailure):
            await rename(store.id, "never committed")

    await rename_from_another_process(settings, store.id, "next writer")

    assert await stored_name(store.id) == "next writer"
