"""`rpai serve --workers N` on this machine: requests per second and CPU per request for
`GET /stores` and the 100-entry sync, with 1 and 2 workers (the embedded database on the same
cores). A report, no target: `python -m bench.workers`."""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from rpai.database import free_port
from tests.support.cli import environment
from tests.support.servers import start_subprocess_server

READS, SYNCS, READ_CONCURRENCY, SYNC_CONCURRENCY, SELLERS = 1000, 100, 8, 1, 100
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of `pid` and every process under it (workers, database)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu(int(child))
    return total


def rpai(data: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "rpai", *args],
        env=environment(data),
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def sync_body(store_id: str, sellers: list[str], n: int) -> dict[str, Any]:
    """The body of `bench/run.py`'s 100-entry sync, one day each."""
    day = (date(2000, 1, 1) + timedelta(days=n + 10_000)).isoformat()
    entries = [
        {"seller_id": s, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2} for s in sellers
    ]
    return {"store_id": store_id, "date": day, "kpi_entries": entries}


async def drive(base: str, pid: int, call: Any, requests: int, concurrency: int) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        queue = iter(range(requests))

        async def worker() -> None:
            for i in queue:
                response = await call(http, i)
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code} {response.text[:300]}")

        cpu, started = tree_cpu(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds, cpu = time.perf_counter() - started, tree_cpu(pid) - cpu
    return f"{requests / seconds:,.0f} | {cpu / requests * 1000:.2f}"


def measure(workers: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="rpai-workers-") as tmp:
        data = Path(tmp) / "data"
        env = {
            "RPAI_WORKERS": str(workers),
            "RPAI_RATE_LIMIT_PER_MINUTE": "100000000",
            "RPAI_LOG_LEVEL": "WARNING",
        }
        port = free_port()
        server = start_subprocess_server(data, port, Path(tmp) / "log", env)
        base = f"http://127.0.0.1:{port}"
        try:
            rpai(data, "create-gerant", "--name", "Bench", "--email", "bench@example.com")
            key = rpai(
                data,
                "create-api-key",
                "--gerant-email",
                "bench@example.com",
                "--name",
                "bench",
                "--permissions",
                "stores:read,stores:write,users:write,kpi:write",
            )["key"]
            headers = {"X-API-Key": key}
            store = httpx.post(
                f"{base}/api/integrations/stores",
                headers=headers,
                json={"name": "Magasin", "location": "Paris"},
            ).json()["store"]["id"]
            sellers = [
                httpx.post(
                    f"{base}/api/integrations/stores/{store}/sellers",
                    headers=headers,
                    json={"name": f"Vendeur {n}", "email": f"v{n}@example.com"},
                ).json()["seller_id"]
                for n in range(SELLERS)
            ]
            reads = asyncio.run(
                drive(
                    base,
                    server.pid,
                    lambda h, _: h.get("/api/integrations/stores", headers=headers),
                    READS,
                    READ_CONCURRENCY,
                )
            )
            syncs = asyncio.run(
                drive(
                    base,
                    server.pid,
                    lambda h, i: h.post(
                        "/api/integrations/kpi/sync",
                        headers=headers,
                        json=sync_body(store, sellers, i),
                    ),
                    SYNCS,
                    SYNC_CONCURRENCY,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
    return [
        f"| {workers} | GET /stores | {reads} |",
        f"| {workers} | POST /kpi/sync (100) | {syncs} |",
    ]


def report() -> str:
    lines = [
        "| workers | scenario | requests/s | CPU ms per request (all processes) |",
        "| ---: | --- | ---: | ---: |",
    ]
    for workers in (1, 2):
        lines += measure(workers)
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
