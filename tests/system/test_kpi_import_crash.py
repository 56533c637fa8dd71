"""An import survives `kill -9` of `rpai serve` and its embedded database mid-write: restarted,
the server resumes the job at its checkpoint and writes nothing twice. And the upload of a large
file is streamed: the server's memory does not grow with it."""

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from rpai.database import free_port
from tests.support.cli import rpai
from tests.support.provisioned import provision
from tests.support.servers import kill_everything, start_subprocess_server, subprocess_server

IMPORTS = "/api/integrations/kpi/imports"
STORES, SELLERS, DAYS = 10, 10, 30
ENV = {
    "RPAI_RATE_LIMIT_PER_MINUTE": "1000000",
    "RPAI_IMPORT_LEASE_SECONDS": "2",
    "RPAI_IMPORT_POLL_SECONDS": "0.1",
}


async def chain(base: str, key: str) -> list[tuple[str, list[str]]]:
    """STORES stores of SELLERS sellers each: their ids."""
    made = []
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}) as http:
        for s in range(STORES):
            store = await http.post(
                "/api/integrations/stores", json={"name": f"M{s}", "location": "Lyon"}
            )
            store_id = store.json()["store"]["id"]
            sellers = []
            for n in range(SELLERS):
                seller = {
                    "name": f"V{n}",
                    "email": f"v{s}-{n}@example.com",
                    "send_invitation": False,
                }
                answer = await http.post(
                    f"/api/integrations/stores/{store_id}/sellers", json=seller
                )
                sellers.append(answer.json()["seller_id"])
            made.append((store_id, sellers))
    return made


def year_file(stores: list[tuple[str, list[str]]]) -> bytes:
    lines = [
        {
            "store_id": store_id,
            "date": f"2025-01-{day + 1:02d}",
            "seller_id": seller_id,
            "ca_journalier": f"{100 + day}.25",
            "nb_ventes": 3,
            "nb_articles": 4,
        }
        for day in range(DAYS)
        for store_id, sellers in stores
        for seller_id in sellers
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def job(base: str, key: str, import_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}{IMPORTS}/{import_id}", headers={"X-API-Key": key})
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()["import"]
    return found


def kpi_synced_events(base: str, key: str) -> list[tuple[str, str]]:
    """Every `kpi.synced` event of the feed: its store and day."""
    found: list[tuple[str, str]] = []
    after: dict[str, str] = {}
    while True:
        page = httpx.get(
            f"{base}/api/integrations/events",
            params={"types": "kpi.synced", "limit": 100, **after},
            headers={"X-API-Key": key},
        ).json()
        objects = [event["data"]["object"] for event in page["events"]]
        found += [(synced["store_id"], synced["date"]) for synced in objects]
        if not page["has_more"]:
            return found
        after = {"starting_after": page["events"][-1]["id"]}


def test_an_import_killed_mid_write_resumes_and_writes_nothing_twice(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    permissions = "stores:write,users:write,kpi:write,events:read"
    key = provision(data, key_name="erp", permissions=permissions).key
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_subprocess_server(data, port, log, ENV)
    try:
        stores = asyncio.run(chain(base, key))
        answer = httpx.post(
            f"{base}{IMPORTS}",
            content=year_file(stores),
            headers={"X-API-Key": key, "Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert answer.status_code == 202
        import_id = answer.json()["import"]["id"]
        while (seen := job(base, key, import_id))["lines_done"] == 0:
            time.sleep(0.01)
    finally:
        kill_everything(server)
    lines = STORES * SELLERS * DAYS
    assert seen["status"] == "running"
    assert seen["lines_done"] < lines  # killed mid-write
    with subprocess_server(data, log, ENV) as restarted:
        deadline = time.monotonic() + 120
        while (ended := job(restarted, key, import_id))["status"] != "completed":
            assert time.monotonic() < deadline, ended
            time.sleep(0.2)
        synced = kpi_synced_events(restarted, key)
    assert ended["lines_done"] == lines
    assert (ended["entries_created"], ended["entries_updated"], ended["errors"]) == (lines, 0, 0)
    assert len(synced) == STORES * DAYS  # one event per store-day: none written twice
    assert len(set(synced)) == STORES * DAYS
    counted = rpai(data, "check-rollups", env=ENV)
    assert counted.returncode == 0, counted.stdout + counted.stderr


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory so far (Linux's VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_large_upload_is_streamed_not_held_in_memory(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    key = provision(data, key_name="erp", permissions="kpi:write").key
    size = 64 * 1024 * 1024
    blank = b" " * 1023 + b"\n"  # lines that hold no entry: nothing to import afterwards
    port = free_port()
    server = start_subprocess_server(data, port, log, ENV)
    try:
        before = peak_rss_kib(server.pid)
        answer = httpx.post(
            f"http://127.0.0.1:{port}{IMPORTS}",
            content=(blank for _ in range(size // len(blank))),
            headers={
                "X-API-Key": key,
                "Content-Type": "application/x-ndjson",
                "Idempotency-Key": "big-1",  # spooled to disk by the idempotency layer first
            },
            timeout=120,
        )
        grown = peak_rss_kib(server.pid) - before
    finally:
        kill_everything(server)
    assert answer.status_code == 400
    assert answer.json() == {"detail": "The file holds no entries"}
    assert grown < 32 * 1024, f"the server's peak memory grew by {grown} KiB for a 64 MiB file"
