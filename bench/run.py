"""Benchmark: our server against a bare-stack ceiling, on one SecantusDB, in one run.

Usage: `make bench` (or `.venv/bin/python bench/run.py [--requests N] [--concurrency C]`).
Prints a table and writes bench/RESULTS.md. Not a test: figures vary with the machine.
"""

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import chain_year
import durability
import event_cost
import httpx
import month_maps
from bson import Decimal128, ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import UpdateOne

from rpai.database import free_port

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
UVICORN_FLAGS = ["--log-level", "warning", "--no-access-log"]
SELLERS = 100
IDLE_SECONDS = 10
TURNS = 3


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (the load generator is not counted)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def idle_cpu(pid: int) -> float:
    """The process's CPU ms a second while no request comes (its periodic work), over
    IDLE_SECONDS."""
    before = cpu_seconds(pid)
    time.sleep(IDLE_SECONDS)
    return (cpu_seconds(pid) - before) / IDLE_SECONDS * 1000


@contextmanager
def process(args: list[str], env: dict[str, str], probe: str) -> Iterator[int]:
    child = subprocess.Popen(args, env=env, cwd=ROOT)
    try:
        wait_until_up(probe, child)
        yield child.pid
    finally:
        child.terminate()
        child.wait(timeout=30)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    cpu: float

    def plus(self, other: "Result") -> "Result":
        """This and `other` (more of the same scenario) as one run."""
        return Result(
            self.name,
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.cpu + other.cpu,
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def cpu_per_request_ms(self) -> float:
        return self.cpu / self.requests * 1000


Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def drive(
    base: str, pid: int, name: str, call: Call, requests: int, concurrency: int, first: int = 0
) -> Result:
    """Warm up, then send `requests` calls (numbered from `first`) with `concurrency` in flight;
    check every answer."""
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for i in range(min(20, requests)):
            (await call(http, -1 - i)).raise_for_status()
        queue = iter(range(first, first + requests))

        async def worker() -> None:
            for i in queue:
                started = time.perf_counter()
                response = await call(http, i)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or b'"errors"' in response.content[:20]:
                    raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")

        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    return Result(name, requests, seconds, latencies, cpu)


def kpi_body(store_id: str, sellers: list[str], n: int) -> dict[str, Any]:
    day = (date(2000, 1, 1) + timedelta(days=n + 10_000)).isoformat()
    entries = [
        {"seller_id": s, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2} for s in sellers
    ]
    return {"store_id": store_id, "date": day, "kpi_entries": entries}


def graphql_input(body: dict[str, Any]) -> dict[str, Any]:
    def camel(name: str) -> str:
        first, *others = name.split("_")
        return first + "".join(p.title() for p in others)

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {camel(k): convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    converted: dict[str, Any] = convert(body)
    return converted


SYNC_MUTATION = "mutation($i: KpiSyncInput!) { syncKpis(input: $i) { entriesCreated } }"


def scenarios(key: str, store_id: str, sellers: list[str], offset: int) -> dict[str, Call]:
    headers = {"X-API-Key": key}
    return {
        "GET /stores": lambda h, _: h.get("/api/integrations/stores", headers=headers),
        "GET /me": lambda h, _: h.get("/api/integrations/me", headers=headers),
        "POST /kpi/sync (100)": lambda h, i: h.post(
            "/api/integrations/kpi/sync",
            headers=headers,
            json=kpi_body(store_id, sellers, offset + i),
        ),
        "GraphQL stores": lambda h, _: h.post(
            "/graphql", headers=headers, json={"query": "{ stores { id name active } }"}
        ),
        "GraphQL syncKpis (100)": lambda h, i: h.post(
            "/graphql",
            headers=headers,
            json={
                "query": SYNC_MUTATION,
                "variables": {"i": graphql_input(kpi_body(store_id, sellers, offset + 50_000 + i))},
            },
        ),
    }


def bootstrap(env: dict[str, str], base: str) -> tuple[str, str, str, list[str]]:
    """A gérant, a key, 5 stores and 100 sellers, made through the CLI and the API."""

    def rpai(*args: str) -> dict[str, Any]:
        out = subprocess.run(
            [PYTHON, "-m", "rpai", *args], env=env, capture_output=True, text=True, check=True
        )
        result: dict[str, Any] = json.loads(out.stdout)
        return result

    gerant = rpai("create-gerant", "--name", "Bench", "--email", "bench@example.com")
    key = rpai(
        "create-api-key",
        "--gerant-email",
        "bench@example.com",
        "--name",
        "bench",
        "--permissions",
        "stores:read,stores:write,users:write,kpi:write",
    )["key"]
    headers = {"X-API-Key": key}
    stores = [
        httpx.post(
            f"{base}/api/integrations/stores",
            headers=headers,
            json={"name": f"Magasin {n}", "location": "Paris"},
        ).json()["store"]["id"]
        for n in range(5)
    ]
    sellers = [
        httpx.post(
            f"{base}/api/integrations/stores/{stores[0]}/sellers",
            headers=headers,
            json={"name": f"Vendeur {n}", "email": f"v{n}@example.com"},
        ).json()["seller_id"]
        for n in range(SELLERS)
    ]
    return gerant["id"], key, stores[0], sellers


async def raw_bulk_upsert_rate(
    url: str, gerant_id: str, store_id: str, sellers: list[str], batches: int
) -> float:
    """Entries per second of 100-entry bulk upserts sent straight with motor, one batch at a
    time, into the real `kpi_entries` collection: same indexes, same upserts as the API's."""
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url)
    collection = client.get_default_database().kpi_entries
    started = time.perf_counter()
    for n in range(batches):
        day = (date(2200, 1, 1) + timedelta(days=n)).isoformat()
        now = datetime.now(UTC)
        entry = {
            "gerant_id": gerant_id,
            "store_id": store_id,
            "ca_journalier": Decimal128("10.50"),
            "nb_ventes": 1,
            "nb_articles": 2,
            "prospects": 0,
            "source": "external_api",
            "timestamp": None,
            "updated_at": now,
        }
        await collection.bulk_write(
            [
                UpdateOne(
                    {"seller_id": s, "date": day},
                    {
                        "$set": entry,
                        "$setOnInsert": {"_id": f"kpi_{ObjectId()}", "created_at": now},
                    },
                    upsert=True,
                )
                for s in sellers
            ],
            ordered=False,
        )
    rate = batches * len(sellers) / (time.perf_counter() - started)
    client.close()
    return rate


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def table(
    ours: dict[str, Result], bare: dict[str, Result], raw_rate: float, idle: tuple[float, float]
) -> str:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | CPU ms/req | bare CPU ms/req | ours ÷ bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result in ours.items():
        ceiling = bare.get(name)
        ratio = f"{result.cpu_per_request_ms / ceiling.cpu_per_request_ms:.2f}x" if ceiling else "—"
        bare_cpu = f"{ceiling.cpu_per_request_ms:.2f}" if ceiling else "—"
        lines.append(
            f"| {name} | {result.rps:.0f} | {result.percentile(0.5):.1f} | "
            f"{result.percentile(0.99):.1f} | {result.cpu_per_request_ms:.2f} | {bare_cpu} "
            f"| {ratio} |"
        )
    for rest, graphql in (
        ("GET /stores", "GraphQL stores"),
        ("POST /kpi/sync (100)", "GraphQL syncKpis (100)"),
    ):
        factor = ours[graphql].cpu_per_request_ms / ours[rest].cpu_per_request_ms
        lines.append(f"\nGraphQL ÷ REST CPU for `{rest}`: {factor:.2f}x")
    sync = ours["POST /kpi/sync (100)"]
    entries_rate = sync.rps * SELLERS
    lines.append(
        f"\nKPI sync: {entries_rate:.0f} entries/s through the API; raw motor bulk upsert of 100: "
        f"{raw_rate:.0f} entries/s; ours ÷ raw = {entries_rate / raw_rate:.2f}"
    )
    lines.append(
        f"\nIdle CPU (periodic work, no requests): ours {idle[0]:.1f} ms/s, bare {idle[1]:.1f} "
        f"ms/s; at the sync's {sync.rps:.1f} requests/s, ours is charged "
        f"{idle[0] / sync.rps:.1f} ms a sync for it"
    )
    lines.append("\n" + targets(ours, bare, entries_rate / raw_rate))
    return "\n".join(lines)


def targets(ours: dict[str, Result], bare: dict[str, Result], raw_fraction: float) -> str:
    """The issue's targets, each with its measured value and whether it is met."""

    def cpu(results: dict[str, Result], name: str) -> float:
        return results[name].cpu_per_request_ms

    checks = [
        (f"REST `{name}` CPU ≤ 1.5x bare", cpu(ours, name) / cpu(bare, name), 1.5, True)
        for name in bare
    ]
    checks += [
        (f"`{graphql}` CPU ≤ {bound}x `{rest}`", cpu(ours, graphql) / cpu(ours, rest), bound, True)
        for rest, graphql, bound in (
            ("GET /stores", "GraphQL stores", 1.5),
            ("POST /kpi/sync (100)", "GraphQL syncKpis (100)", 2.0),
        )
    ]
    checks.append(("KPI entries/s ≥ 0.8x raw bulk upsert", raw_fraction, 0.8, False))
    rows = ["| target | measured | met |", "| --- | ---: | :---: |"]
    for label, value, bound, at_most in checks:
        met = value <= bound if at_most else value >= bound
        rows.append(f"| {label} | {value:.2f} | {'yes' if met else 'no'} |")
    return "\n".join(rows)


@dataclass(frozen=True)
class Server:
    """A server under measure: where it answers, its process, and the scenarios it runs."""

    base: str
    pid: int
    calls: dict[str, Call]
    names: list[str]


async def measure(
    servers: list[Server], requests: dict[str, int], concurrency: dict[str, int]
) -> list[dict[str, Result]]:
    """Each scenario's requests in TURNS turns, on each server in turn, the scenarios taking
    turns: the machine's drift during a run falls on every scenario and both servers alike, not
    on whichever ran at the time. Each server's results, by scenario."""
    results: list[dict[str, Result]] = [{} for _ in servers]
    for turn in range(TURNS):
        for name in servers[0].names:
            share = requests[name] // TURNS
            for server, its in zip(servers, results, strict=True):
                if name not in server.names:
                    continue
                done = await drive(
                    server.base,
                    server.pid,
                    name,
                    server.calls[name],
                    share,
                    concurrency[name],
                    first=turn * share,
                )
                its[name] = its[name].plus(done) if name in its else done
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per read scenario")
    parser.add_argument("--sync-requests", type=int, default=400, help="requests per KPI scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="for the read scenarios")
    parser.add_argument(
        "--sync-concurrency",
        type=int,
        default=1,
        help="for the KPI scenarios; 1 matches the raw bulk upserts, sent one batch at a time",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the throughput table only, printed (make bench-quick): RESULTS.md is left as it is",
    )
    args = parser.parse_args()
    requests = {
        "GET /stores": args.requests,
        "GET /me": args.requests,
        "GraphQL stores": args.requests,
        "POST /kpi/sync (100)": args.sync_requests,
        "GraphQL syncKpis (100)": args.sync_requests,
    }
    concurrency = {
        name: args.sync_concurrency if "sync" in name.lower() else args.concurrency
        for name in requests
    }
    with tempfile.TemporaryDirectory(prefix="rpai-bench-") as tmp:
        db_port, our_port, bare_port = free_port(), free_port(), free_port()
        url = f"mongodb://127.0.0.1:{db_port}/bench"
        env = {
            **os.environ,
            "MONGODB_URL": url,
            "RPAI_DATA_DIR": tmp,
            "RPAI_RATE_LIMIT_PER_MINUTE": "100000000",
            "RPAI_LOG_LEVEL": "WARNING",
        }
        db = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "secantus",
                "--host",
                "127.0.0.1",
                "--port",
                str(db_port),
                "--storage-path",
                f"{tmp}/db",
                "--log-level",
                "WARNING",
            ],
            env=env,
        )
        try:
            time.sleep(1.5)
            ours_cmd = [
                PYTHON,
                "-m",
                "uvicorn",
                "rpai.asgi:app",
                "--port",
                str(our_port),
                *UVICORN_FLAGS,
            ]
            base = f"http://127.0.0.1:{our_port}"
            bare_base = f"http://127.0.0.1:{bare_port}"
            with process(ours_cmd, env, f"{base}/healthz") as pid:
                gerant_id, key, store_id, sellers = bootstrap(env, base)
                our_idle = idle_cpu(pid)
                calls = scenarios(key, store_id, sellers, 0)
                ours_server = Server(base, pid, calls, list(calls))
                bare_env = {**env, "BENCH_GERANT_ID": gerant_id, "BENCH_STORE_ID": store_id}
                bare_cmd = [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "bench.bare_app:app",
                    "--port",
                    str(bare_port),
                    *UVICORN_FLAGS,
                ]
                with process(bare_cmd, bare_env, f"{bare_base}/api/integrations/me") as bare_pid:
                    bare_idle = idle_cpu(bare_pid)
                    bare_calls = scenarios(key, store_id, sellers, 200_000)
                    names = ["GET /stores", "GET /me", "POST /kpi/sync (100)"]
                    bare_server = Server(bare_base, bare_pid, bare_calls, names)
                    ours, bare = asyncio.run(
                        measure([ours_server, bare_server], requests, concurrency)
                    )
            raw_rate = asyncio.run(
                raw_bulk_upsert_rate(url, gerant_id, store_id, sellers, args.sync_requests)
            )
        finally:
            db.terminate()
            db.wait(timeout=30)
    report = table(ours, bare, raw_rate, (our_idle, bare_idle))
    print(report)  # noqa: T201 - the benchmark's output
    if args.quick:
        return
    costs = durability.report()
    print(costs)  # noqa: T201
    event = event_cost.report()
    print(event)  # noqa: T201
    chain = chain_year.report()
    print(chain)  # noqa: T201
    # As a module of the repository: it borrows the tests' servers and receiver.
    webhooks = subprocess.run(
        [PYTHON, "-m", "bench.webhooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(webhooks)  # noqa: T201
    workers = subprocess.run(
        [PYTHON, "-m", "bench.workers"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(workers)  # noqa: T201
    imported = subprocess.run(
        [PYTHON, "-m", "bench.kpi_import"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(imported)  # noqa: T201
    new_entries = subprocess.run(
        [PYTHON, "-m", "bench.entry_writes"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(new_entries)  # noqa: T201
    sync_costs = subprocess.run(
        [PYTHON, "bench/sync_cost.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    print(sync_costs)  # noqa: T201
    maps = month_maps.report()
    print(maps)  # noqa: T201
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = (ROOT / "bench" / "PROFILE.md").read_text()
    (ROOT / "bench" / "RESULTS.md").write_text(
        f"# Benchmark results\n\n{stamp} — {machine()}\n\n"
        f"`make bench`: {args.requests} requests per read scenario, {args.sync_requests} per KPI "
        f"scenario, concurrency {args.concurrency} (KPI: {args.sync_concurrency}); SecantusDB in "
        f"its own process; both servers up side by side, taking turns, under uvicorn with "
        f"{' '.join(UVICORN_FLAGS)}.\n\n{report}\n\n"
        f"## What durability costs\n\n`bench/durability.py`: the embedded database as shipped "
        f"(the log synced at every commit, writes with j: true) against the same without, "
        f"same writes, one client.\n\n{costs}\n\n"
        f"## What an event costs\n\n`bench/event_cost.py`: the app's CPU of 100-entry syncs "
        f"through the sync rule, and of their `kpi.synced` events alone (built and encoded in "
        f"the sync's one bulkWrite), median of {event_cost.ROUNDS} rounds.\n\n{event}\n\n"
        f"## Chain year\n\n`bench/chain_year.py`: {chain_year.SCENARIO}\n\n{chain}\n\n"
        f"## Webhooks\n\n`bench/webhooks.py`: commit to first delivery attempt on an idle "
        f"server, and 1,000 events delivered at once to one local receiver.\n\n{webhooks}\n\n"
        f"## Workers\n\n`bench/workers.py`: `rpai serve --workers N` on the embedded "
        f"database, same cores; CPU counts every process.\n\n{workers}\n\n"
        f"## Chain-year import\n\n`bench/kpi_import.py`: a 50-store chain's year (365,000 "
        f"lines) as one NDJSON file posted to `rpai serve`.\n\n{imported}\n\n"
        f"## Writing new entries\n\n`bench/entry_writes.py`: new KPI entries written three "
        f"ways on the embedded database, 500 a transaction.\n\n{new_entries}\n\n"
        f"## Where the sync's CPU goes\n\n`bench/sync_cost.py`: ours, ours with its periodic "
        f"work paused, and the bare app side by side, taking turns; the parts of a sync the "
        f"bare app does not do timed in process.\n\n{sync_costs}\n\n"
        f"## Month maps\n\n`bench/month_maps.py`: the month rollups' maps as JSON text (as "
        f"shipped) or as BSON.\n\n{maps}\n\n"
        f"{notes}"
    )


if __name__ == "__main__":
    main()
