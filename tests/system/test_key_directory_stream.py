"""The key directory's change stream asks again at most every QUIET_PAUSE_SECONDS while nothing
changes: SecantusDB answers a change stream as soon as anything is written anywhere, so each
API process asked once for every write of every tenant. A key revoked still shows at once."""

import asyncio
import time

import httpx
import pytest
from pymongo import monitoring

from infra.key_directory import QUIET_PAUSE_SECONDS
from models import ApiKey, Store
from tests.support.factories import headers, make_api_key, make_gerant

pytestmark = pytest.mark.usefixtures("client")

WRITES = 40
WRITES_SECONDS = 1.0
REVOKED_WITHIN_SECONDS = 1.0  # as the README promises


class KeyStreamReads(monitoring.CommandListener):
    """The `getMore`s on the keys' collection of one database, while it listens."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.seen = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if (
            event.database_name == self.database
            and event.command_name == "getMore"
            and event.command.get("collection") == "api_keys"
        ):
            self.seen += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        del event

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        del event


reads = KeyStreamReads()
monitoring.register(reads)


async def test_writes_elsewhere_do_not_wake_the_key_directory(client: httpx.AsyncClient) -> None:
    created = await make_api_key(await make_gerant())
    key = headers(created.key)
    answer = await client.get("/api/integrations/me", headers=key)
    assert answer.status_code == 200, answer.text
    scratch = Store.get_motor_collection().database["scratch"]
    reads.database, reads.seen = scratch.database.name, 0
    try:
        for n in range(WRITES):
            await scratch.insert_one({"n": n})
            await asyncio.sleep(WRITES_SECONDS / WRITES)
    finally:
        reads.database = None
    assert 1 <= reads.seen <= WRITES_SECONDS / QUIET_PAUSE_SECONDS + 2

    # Revoked by another process (written straight to the database): refused within a second.
    keys = ApiKey.get_motor_collection()
    await keys.update_one({"_id": created.api_key.id}, {"$set": {"active": False}})
    revoked_at = time.monotonic()
    while (await client.get("/api/integrations/me", headers=key)).status_code == 200:
        assert time.monotonic() - revoked_at < REVOKED_WITHIN_SECONDS
        await asyncio.sleep(0.02)
    answer = await client.get("/api/integrations/me", headers=key)
    assert answer.status_code == 401, answer.text
