"""How imports share the server, on SecantusDB: an upload its client cuts short leaves nothing
and logs no error; a running import pauses after each step for RPAI_IMPORT_SHARE."""

import asyncio
import json
import logging
import math
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from models import KpiImport, KpiImportChunk, Role
from resolvers.kpi import import_worker
from resolvers.kpi.import_worker import STORE_DAYS_PER_WRITE
from rpai.app import import_policy
from rpai.settings import Settings
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.servers import in_process_client, in_process_listener

IMPORTS = "/api/integrations/kpi/imports"
NDJSON = {"Content-Type": "application/x-ndjson"}
LINE = json.dumps({"store_id": "s", "date": "2026-01-05", "seller_id": "u"}).encode() + b"\n"


async def test_an_upload_cut_short_leaves_nothing_and_no_error_in_the_logs(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with in_process_listener(settings) as (base_url, _):
        key = await make_key(await make_gerant())
        address = urlsplit(base_url)
        assert address.hostname is not None
        assert address.port is not None
        _, writer = await asyncio.open_connection(address.hostname, address.port)
        sent = LINE * 40_000  # over a MiB: a chunk is stored before the client leaves
        head = (
            f"POST {IMPORTS} HTTP/1.1\r\nHost: testserver\r\nX-API-Key: {key}\r\n"
            f"Content-Type: application/x-ndjson\r\nContent-Length: {len(sent) * 2}\r\n\r\n"
        )
        writer.write(head.encode() + sent)
        await writer.drain()
        for _ in range(100):
            if stored := await KpiImportChunk.find_all().count():
                break
            await asyncio.sleep(0.05)
        assert stored
        writer.close()
        await writer.wait_closed()
        left = "the client left before its body ended"
        for _ in range(100):
            if any(left in record.getMessage() for record in caplog.records):
                break
            await asyncio.sleep(0.05)

        said = [(record.levelname, record.getMessage()) for record in caplog.records]
        assert [line for line in said if line[0] in ("ERROR", "CRITICAL")] == []
        assert ("INFO", f"POST {IMPORTS}: {left}") in said
        assert any(re.fullmatch(f"POST {IMPORTS} 499 .* ms", message) for _, message in said)
        assert await KpiImportChunk.find_all().count() == 0
        assert await KpiImport.find_all().count() == 0


class TickingClock:
    """A clock that moves on by `tick` seconds each time it is read, and the pauses asked of it
    (under a second: the app's own worker waits an hour for its next poll, for real)."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        self.now += self.tick
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds >= 1:
            await asyncio.sleep(seconds)
        elif seconds:
            self.pauses.append(seconds)


@pytest.mark.parametrize(("share", "pause"), [(0.25, 0.03), (0.5, 0.01), (1.0, None)])
async def test_an_import_pauses_after_each_step_for_its_share(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, share: float, pause: float | None
) -> None:
    """Each step (a chunk checked, a transaction written) that took 10 ms is followed by a pause
    of 10 ms x (1 - share) / share: the import takes `share` of the process's time."""
    monkeypatch.setenv("RPAI_IMPORT_SHARE", str(share))
    policy = import_policy(Settings(mongodb_url=settings.mongodb_url))
    clock = TickingClock(0.01)
    monkeypatch.setattr(import_worker, "time", clock)
    fake = SimpleNamespace(
        sleep=clock.sleep, CancelledError=asyncio.CancelledError, shield=asyncio.shield
    )
    monkeypatch.setattr(import_worker, "asyncio", fake)
    async with in_process_client(settings) as client:
        gerant = await make_gerant()
        store = await make_store(gerant, "Paris")
        seller = await make_user(gerant, Role.SELLER, store)
        lines = [
            {
                "store_id": store.id,
                "date": f"2026-01-{day:02}",
                "seller_id": seller.id,
                "ca_journalier": "10.00",
                "nb_ventes": 1,
                "nb_articles": 1,
            }
            for day in range(1, 29)
        ]
        answer = await client.post(
            IMPORTS,
            content=b"".join(json.dumps(line).encode() + b"\n" for line in lines),
            headers={**headers(await make_key(gerant, ["kpi:write"])), **NDJSON},
        )
        assert answer.status_code == 202, answer.text

        assert await import_worker.run_imports(policy) == 1

        job = await KpiImport.get(answer.json()["import"]["id"])
        assert job is not None
        assert job.entries_created == 28
    steps = 1 + math.ceil(28 / STORE_DAYS_PER_WRITE)  # the check's one chunk, the writes
    assert clock.pauses == ([] if pause is None else [pytest.approx(pause)] * steps)


@pytest.mark.parametrize("refused", ["0", "-0.5", "1.5"])
def test_the_share_is_a_fraction_of_the_process(
    monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    monkeypatch.setenv("RPAI_IMPORT_SHARE", refused)
    with pytest.raises(ValueError, match="import_share"):
        Settings()
