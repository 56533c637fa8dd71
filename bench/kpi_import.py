"""Benchmark "chain-year import": a 50-store chain's year (50 stores x 20 sellers x 365 days =
365,000 lines) as one NDJSON file, posted to `rpai serve` (embedded database, its own process)
and imported in the background.

Reports: the import's total time (post to completed) and entries a second, against the raw bulk
upsert of the same entries (1,000 a command, straight to the same database, in the same run);
the server's memory growth during the import (peak resident over resident before); tenant B's
`GET /stores` while the import runs ÷ idle (medians); and 31 days of one store synced over
HTTP 8 at a time: how many answered 503.
Not a test: figures depend on the machine. `make bench` runs it; `--stores` makes it smaller.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import ASCENDING, MongoClient, UpdateOne

from bench.chain_year import make_chain, served
from models import Store, User
from resolvers.api_keys import ApiKeyCreate, create_api_key
from rpai.database import connected
from rpai.settings import Settings

SELLERS = 20
DAYS = [(date(2025, 1, 1) + timedelta(days=n)).isoformat() for n in range(365)]
RAW_BATCH = 1000
YEAR_LINES = 50 * SELLERS * len(DAYS)  # the chain year: 50 stores
PARALLEL_DAYS = 31
PARALLEL_AT_ONCE = 8


def lines(stores: list[Store], sellers: dict[str, list[User]]) -> Iterator[bytes]:
    """The year, day by day and store by store, as a till system would export it."""
    for day in DAYS:
        for store in stores:
            for seller in sellers[store.id]:
                line = {
                    "store_id": store.id,
                    "date": day,
                    "seller_id": seller.id,
                    "ca_journalier": f"{random.randint(0, 500_000) / 100:.2f}",
                    "nb_ventes": random.randint(0, 40),
                    "nb_articles": random.randint(0, 90),
                    "prospects": random.randint(0, 120),
                }
                yield json.dumps(line).encode() + b"\n"


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def server_pid(port: int) -> int:
    """The pid of the process listening on `port` (Linux /proc/net/tcp and fds)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inode = fields[9]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if fd.readlink().name == f"socket:[{inode}]":
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError("no server process")


async def prepare(settings: Settings, stores: int) -> dict[str, Any]:
    async with connected(str(settings.mongodb_url), settings):
        chain = await make_chain("Import", SELLERS, stores)
        other = await make_chain("Voisin", 2, 5)
        store = chain.stores[0]
        key_a = await create_api_key(
            gerant=chain.gerant, spec=ApiKeyCreate(name="a", permissions=["kpi:write"])
        )
        key_b = await create_api_key(
            gerant=other.gerant, spec=ApiKeyCreate(name="b", permissions=["stores:read"])
        )
    return {"chain": chain, "store": store, "key_a": key_a.key, "key_b": key_b.key}


def stores_ms(base: str, key: str) -> float:
    started = time.perf_counter()
    answer = httpx.get(f"{base}/api/integrations/stores", headers={"X-API-Key": key})
    assert answer.status_code == 200, answer.text
    return (time.perf_counter() - started) * 1000


def run_import(base: str, key: str, file: Path, pid: int, key_b: str) -> dict[str, Any]:
    """Post the file, follow the import to its end while timing B's reads and the memory."""
    before = rss_kib(pid, "VmRSS")
    started = time.perf_counter()
    with file.open("rb") as body:
        answer = httpx.post(
            f"{base}/api/integrations/kpi/imports",
            content=iter(lambda: body.read(1 << 20), b""),
            headers={"X-API-Key": key, "Content-Type": "application/x-ndjson"},
            timeout=600,
        )
    assert answer.status_code == 202, answer.text
    uploaded = time.perf_counter() - started
    import_id = answer.json()["import"]["id"]
    busy: list[float] = []
    while True:
        job = httpx.get(
            f"{base}/api/integrations/kpi/imports/{import_id}", headers={"X-API-Key": key}
        ).json()["import"]
        if job["status"] in ("completed", "failed"):
            break
        busy.append(stores_ms(base, key_b))
        time.sleep(0.5)
    total = time.perf_counter() - started
    return {
        "job": job,
        "uploaded": uploaded,
        "total": total,
        "grown_mib": (rss_kib(pid, "VmHWM") - before) / 1024,
        "busy": statistics.median(busy) if busy else float("nan"),
    }


def raw_bulk(url: str, file: Path) -> float:
    """Seconds to bulk-upsert the file's entries straight into a scratch collection."""
    client: MongoClient[dict[str, Any]] = MongoClient(url)
    try:
        scratch = client.get_default_database()["bench_raw_entries"]
        scratch.drop()
        scratch.create_index([("seller_id", ASCENDING), ("date", ASCENDING)], unique=True)
        started = time.perf_counter()
        batch: list[UpdateOne] = []
        with file.open("rb") as lines_read:
            for raw in lines_read:
                line = json.loads(raw)
                batch.append(
                    UpdateOne(
                        {"seller_id": line["seller_id"], "date": line["date"]},
                        {"$set": {**line, "updated_at": time.time()}},
                        upsert=True,
                    )
                )
                if len(batch) == RAW_BATCH:
                    scratch.bulk_write(batch, ordered=False)
                    batch = []
        if batch:
            scratch.bulk_write(batch, ordered=False)
        elapsed = time.perf_counter() - started
        scratch.drop()
        return elapsed
    finally:
        client.close()


async def parallel_days(base: str, key: str, store: Store, sellers: list[User]) -> int:
    """31 days of one store synced 8 at a time: how many answered 503."""
    days = [(date(2026, 3, 1) + timedelta(days=n)).isoformat() for n in range(PARALLEL_DAYS)]
    gate = asyncio.Semaphore(PARALLEL_AT_ONCE)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=60) as http:

        async def sync(day: str) -> int:
            entries = [
                {"seller_id": s.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 1}
                for s in sellers
            ]
            async with gate:
                answer = await http.post(
                    "/api/integrations/kpi/sync",
                    json={"store_id": store.id, "date": day, "kpi_entries": entries},
                )
            return answer.status_code

        statuses = await asyncio.gather(*(sync(day) for day in days))
    return sum(status == 503 for status in statuses)


def report(stores: int, progress: Any = print) -> str:
    random.seed(7)
    with served("rpai-import-") as running:
        ready = asyncio.run(prepare(running.settings, stores))
        chain = ready["chain"]
        file = running.folder / "year.ndjson"
        with file.open("wb") as out:
            out.writelines(lines(chain.stores, chain.sellers))
        count = stores * SELLERS * len(DAYS)
        progress(f"importing {count:,} lines ({file.stat().st_size / 2**20:.0f} MiB)...")
        idle = statistics.median(stores_ms(running.base, ready["key_b"]) for _ in range(21))
        pid = server_pid(running.port)
        done = run_import(running.base, ready["key_a"], file, pid, ready["key_b"])
        progress("raw bulk upsert of the same entries...")
        raw = raw_bulk(running.url, file)
        progress("31 days of one store, 8 at a time...")
        store = ready["store"]
        refused = asyncio.run(
            parallel_days(running.base, ready["key_a"], store, chain.sellers[store.id])
        )
    return table(count, done, raw, idle, refused)


def table(count: int, done: dict[str, Any], raw: float, idle: float, refused: int) -> str:
    job = done["job"]
    rate, raw_rate = count / done["total"], count / raw
    ratio = rate / raw_rate
    busy = done["busy"] / idle
    # The 10 minutes are for the chain year: a smaller run is held to its share of them.
    year = done["total"] * YEAR_LINES / count
    projected = "" if count == YEAR_LINES else f", {year:.0f} s projected for {YEAR_LINES:,}"

    def met(ok: bool) -> str:
        return "yes" if ok else "no"

    return "\n".join(
        [
            "| measure | figure | target | met |",
            "| --- | ---: | ---: | :---: |",
            f"| import of {count:,} lines: post to completed | {done['total']:.0f} s "
            f"(upload {done['uploaded']:.0f} s{projected}) | ≤ 600 s for {YEAR_LINES:,} | "
            f"{met(year <= 600)} |",
            f"| entries/s, import ÷ raw bulk upsert | {rate:,.0f} ÷ {raw_rate:,.0f} = "
            f"{ratio:.2f} | ≥ 0.8 | {met(ratio >= 0.8)} |",
            f"| server memory growth during the import | {done['grown_mib']:.0f} MiB | ≤ 150 MB "
            f"| {met(done['grown_mib'] * 1.048576 <= 150)} |",
            f"| tenant B's `GET /stores` during the import ÷ idle (medians) | "
            f"{done['busy']:.1f} ÷ {idle:.1f} ms = {busy:.2f} | ≤ 2 | {met(busy <= 2)} |",
            f"| 31 days of one store synced 8 at a time: 503s | {refused} | 0 | "
            f"{met(refused == 0)} |",
            "",
            f"The import ended `{job['status']}` with {job['entries_created']:,} entries "
            f"created, {job['entries_updated']:,} updated and {job['errors']:,} lines refused.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=50)
    args = parser.parse_args()
    print(report(args.stores, progress=lambda text: print(text, file=sys.stderr)))  # noqa: T201


if __name__ == "__main__":
    main()
