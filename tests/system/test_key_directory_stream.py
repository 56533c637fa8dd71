"""The key directory's change stream asks again at most every QUIET_PAUSE_SECONDS while nothing
changes: SecantusDB answers a change stream as soon as anything is written anywhere, so each
API process asked once for every write of every tenant. A key revoked still shows at once."""

import asyncio
import time

import httpx
import pytest

from infra.key_directory import QUIET_PAUSE_SECONDS
from models import ApiKey, Store
from tests.support.commands_started import commands_started
from tests.support.factories import headers, make_api_key, make_gerant

pytestmark = pytest.mark.usefixtures("client")

WRITES = 40
WRITES_SECONDS = 1.0
REVOKED_WITHIN_SECONDS = 1.0  # as the README promises


async def test_writes_elsewhere_do_not_wake_the_key_directory(client: httpx.AsyncClient) -> None:
    created = await make_api_key(await make_gerant())
    key = headers(created.key)
    answer = await client.get("/api/integrations/me", headers=key)
    assert answer.status_code == 200, answer.text
    scratch = Store.get_motor_collection().database["scratch"]
    with commands_started() as started:
        for n in range(WRITES):
            await scratch.insert_one({"n": n})
            await asyncio.sleep(WRITES_SECONDS / WRITES)
    key_stream_reads = [
        event
        for event in started
        if event.database == scratch.database.name
        and event.name == "getMore"
        and event.command.get("collection") == "api_keys"
    ]
    assert 1 <= len(key_stream_reads) <= WRITES_SECONDS / QUIET_PAUSE_SECONDS + 2

    # Revoked by another process (written straight to the database): refused within a second.
    keys = ApiKey.get_motor_collection()
    await keys.update_one({"_id": created.api_key.id}, {"$set": {"active": False}})
    revoked_at = time.monotonic()
    while (await client.get("/api/integrations/me", headers=key)).status_code == 200:
        assert time.monotonic() - revoked_at < REVOKED_WITHIN_SECONDS
        await asyncio.sleep(0.02)
    answer = await client.get("/api/integrations/me", headers=key)
    assert answer.status_code == 401, answer.text
