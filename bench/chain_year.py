"""Benchmark "chain year": a year of KPIs of a 50-store chain, read as the frontend reads it.

50 stores, 20 sellers each, 365 days (365,000 entries) are written through the sync rule (its
transaction and rollups), then `rpai serve` on the embedded database answers every grouping
of a year's summary, a store's year of reconciliation and a 100-entry sync on the full
collection; the same chain with 2 sellers a store shows whether cost follows entries or days;
and another tenant's `GET /stores` is timed while the chain runs 4 year summaries at once.
Not a test: figures depend on the machine. `make bench` runs it and writes bench/RESULTS.md.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

from contract.credentials import actor_for_user
from contract.validation import parse
from models import Role, Store, User
from resolvers.api_keys import ApiKeyCreate, create_api_key
from resolvers.gerants import GerantCreate, create_gerant
from resolvers.kpi import sync as kpi_sync
from resolvers.kpi.rollup_writes import RollupWrites
from resolvers.kpi.sync import KpiSync, sync_kpis
from rpai.database import connected, embedded_url, free_port
from rpai.settings import Settings

STORES = 50
YEAR = [(date(2025, 1, 1) + timedelta(days=n)).isoformat() for n in range(365)]
SCENARIO = (
    f"{STORES} stores x 20 sellers x 365 days loaded through the sync rule (8 stores at once), "
    "then over HTTP on `rpai serve` (embedded database, its own process) every `groupBy` of a "
    "year's `kpiSummary` as the gérant (previous period and change included), a store's year "
    "of reconciliation, and 100-entry syncs on the full collection; the same with 2 sellers a "
    "store; tenant B's `GET /stores` while tenant A (its own process) loops 4 year summaries "
    "at once. Medians of 7 runs, each summary followed by a pause of 4 times its duration (a "
    "caller's summaries may take a quarter of the server's time: so they never wait for it)."
)
GROUPINGS = ("TOTAL", "MONTH", "WEEK", "DAY", "STORE", "SELLER")
RUNS = 7
SUMMARY_PAUSE = 4  # times a summary's own time: a caller's share of summary time is a quarter
LOADERS = 8
PASSWORD = "bench password"
SUMMARY = (
    'query($g: KpiGroupBy!) { kpiSummary(filter: {from: "2025-01-01", to: "2025-12-31"}, '
    "groupBy: $g) { key ca nbVentes panierMoyen previous { ca } change { ca } } }"
)


@dataclass(frozen=True)
class Chain:
    gerant: User
    stores: list[Store]
    sellers: dict[str, list[User]]


def environment(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    return {
        **env,
        "RPAI_DATA_DIR": str(data),
        "RPAI_RATE_LIMIT_PER_MINUTE": "1000000",
        "RPAI_GRAPHQL_COST_RESTORE_RATE": "1000000",
        "RPAI_METRICS_PORT": "0",
        "RPAI_LOG_LEVEL": "WARNING",
    }


@contextmanager
def server(data: Path, port: int) -> Any:
    process = subprocess.Popen(
        [sys.executable, "-m", "rpai", "serve", "--port", str(port)],
        env=environment(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("rpai serve did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def entry(seller: User) -> dict[str, Any]:
    return {
        "seller_id": seller.id,
        "ca_journalier": Decimal(random.randint(0, 500_000)) / 100,
        "nb_ventes": random.randint(0, 40),
        "nb_articles": random.randint(0, 90),
        "prospects": random.randint(0, 120),
    }


async def sync(chain: Chain, store: Store, day: str, sellers: list[User]) -> None:
    data = {"store_id": store.id, "date": day, "kpi_entries": [entry(s) for s in sellers]}
    await sync_kpis(actor=actor_for_user(chain.gerant), data=parse(KpiSync, data))


async def make_chain(name: str, sellers_per_store: int, store_count: int = STORES) -> Chain:
    n = random.randint(0, 10**9)
    gerant = await create_gerant(
        data=GerantCreate(name=name, email=f"{name.lower()}{n}@example.com", password=PASSWORD)
    )
    stores, sellers = [], {}
    for s in range(store_count):
        store = Store(
            gerant_id=gerant.id, name=f"{name} {s}", name_key=f"{name} {s}".lower(), location="Lyon"
        )
        await store.insert()
        stores.append(store)
        team = []
        for p in range(sellers_per_store):
            email = f"{name.lower()}{n}-{s}-{p}@example.com"
            user = User(
                gerant_id=gerant.id,
                role=Role.SELLER,
                name=f"Vendeur {s}-{p}",
                email=email,
                email_key=email,
                store_id=store.id,
            )
            await user.insert()
            team.append(user)
        sellers[store.id] = team
    return Chain(gerant, stores, sellers)


async def load(chain: Chain, progress: Callable[[str], None]) -> float:
    """Every day of the year of every store, through the sync rule; entries a second. As tills
    sync: each store its days one after another, the stores in parallel (syncs of one store and
    month share its month's rollups, and would only conflict and retry)."""
    jobs = [(store, day) for day in YEAR for store in chain.stores]
    started = time.perf_counter()
    for n in range(0, len(jobs), LOADERS):
        batch = jobs[n : n + LOADERS]
        await asyncio.gather(*(sync(chain, s, d, chain.sellers[s.id]) for s, d in batch))
        if n % (LOADERS * 500) == 0:
            progress(f"  {n}/{len(jobs)} syncs")
    entries = sum(len(team) for team in chain.sellers.values()) * len(YEAR)
    return entries / (time.perf_counter() - started)


async def sync_rate(chain: Chain, store: Store, days: list[str], rollups: bool) -> float:
    """Entries a second of 100-entry syncs on `days`, with or without rollup maintenance."""

    async def no_rollups(**_: Any) -> RollupWrites:
        return RollupWrites(writes=[], checksum="", days=[], existing=frozenset())

    team = chain.sellers[store.id]
    started = time.perf_counter()
    with mock.patch.object(
        kpi_sync, "rollup_writes", kpi_sync.rollup_writes if rollups else no_rollups
    ):
        for day in days:
            await sync(chain, store, day, team)
    return len(days) * len(team) / (time.perf_counter() - started)


def median_ms(call: Callable[[], httpx.Response], runs: int = RUNS, pause: float = 0) -> float:
    """The median time of `runs` calls, each followed by `pause` times its own time."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
        assert "errors" not in answer.text[:200], answer.text
        time.sleep(pause * times[-1] / 1000)
    return statistics.median(times)


def login(base: str, email: str) -> str:
    query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    variables = {"e": email, "p": PASSWORD}
    answer = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables})
    token: str = answer.json()["data"]["login"]["token"]
    return token


def summaries(base: str, token: str) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        return {
            grouping: median_ms(
                lambda g=grouping: http.post(
                    "/graphql", json={"query": SUMMARY, "variables": {"g": g}}
                ),
                # As a person reads a dashboard: within a caller's share of the server's
                # time (a quarter), never waiting for it. A looping caller is the isolation's.
                pause=SUMMARY_PAUSE,
            )
            for grouping in GROUPINGS
        }


def tenant_a(base: str, token: str, running: Any, answers: Any) -> None:
    """Tenant A, in a process of its own (as another client is): 4 year summaries at once,
    again and again while `running` is set; how many answered 200, then 429, in `answers`."""

    async def loops() -> None:
        statuses: list[int] = []
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as http:

            async def loop(grouping: str) -> None:
                while running.is_set():
                    body = {"query": SUMMARY, "variables": {"g": grouping}}
                    statuses.append((await http.post("/graphql", json=body)).status_code)

            await asyncio.gather(*(loop(g) for g in ("DAY", "MONTH", "STORE", "SELLER")))
        answers.put((statuses.count(200), statuses.count(429)))

    asyncio.run(loops())


async def isolation(base: str, token_a: str, key_b: str) -> tuple[float, float, tuple[int, int]]:
    """Tenant B's GET /stores median, idle and while tenant A runs 4 year summaries at once;
    and how many of A's summaries answered meanwhile (200, 429)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def stores_ms() -> list[float]:
            times = []
            for _ in range(40):
                started = time.perf_counter()
                answer = await http.get("/api/integrations/stores", headers={"X-API-Key": key_b})
                assert answer.status_code == 200
                times.append((time.perf_counter() - started) * 1000)
            return times

        idle = statistics.median(await stores_ms())
        running, answers = multiprocessing.Event(), multiprocessing.Queue()
        running.set()
        busy = multiprocessing.Process(target=tenant_a, args=(base, token_a, running, answers))
        busy.start()
        await asyncio.sleep(2)  # A's process started and its summaries under way
        loaded = statistics.median(await stores_ms())
        running.clear()
        counts: tuple[int, int] = answers.get(timeout=120)
        busy.join()
    return idle, loaded, counts


async def prepare(settings: Settings, progress: Callable[[str], None]) -> dict[str, Any]:
    async with connected(str(settings.mongodb_url), settings):
        progress(f"loading the 20-seller chain ({STORES * 20 * len(YEAR):,} entries)...")
        big = await make_chain("Grande", 20)
        load_rate = await load(big, progress)
        progress(f"loading the 2-seller chain ({STORES * 2 * len(YEAR):,} entries)...")
        small = await make_chain("Petite", 2)
        await load(small, progress)
        store = Store(gerant_id=big.gerant.id, name="Cent", name_key="cent", location="Paris")
        await store.insert()
        team = []
        for p in range(100):
            email = f"cent-{p}-{random.randint(0, 10**9)}@example.com"
            user = User(
                gerant_id=big.gerant.id,
                role=Role.SELLER,
                name=f"C {p}",
                email=email,
                email_key=email,
                store_id=store.id,
            )
            await user.insert()
            team.append(user)
        big.sellers[store.id] = team
        days = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(60)]
        with_rollups = await sync_rate(big, store, days[:30], rollups=True)
        without = await sync_rate(big, store, days[30:], rollups=False)
        key_a = await create_api_key(
            gerant=big.gerant, spec=ApiKeyCreate(name="a", permissions=["kpi:read", "kpi:write"])
        )
        key_b = await create_api_key(
            gerant=small.gerant, spec=ApiKeyCreate(name="b", permissions=["stores:read"])
        )
    return {
        "big": big,
        "small": small,
        "load_rate": load_rate,
        "with_rollups": with_rollups,
        "without_rollups": without,
        "key_a": key_a.key,
        "key_b": key_b.key,
        "hundred": store,
    }


@dataclass(frozen=True)
class Served:
    """`rpai serve` on a fresh embedded database: its folder, port and address, and the
    database's URL and settings for loading data from this process."""

    folder: Path
    port: int
    base: str
    url: str
    settings: Settings


@contextmanager
def served(prefix: str) -> Iterator[Served]:
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        with server(data, port) as base:
            db_port = json.loads((data / "db-address.json").read_text())["port"]
            url = embedded_url(data, db_port).replace("/?", "/retail_performer?")
            settings = Settings(mongodb_url=url, data_dir=data, db_timeout_seconds=60)
            yield Served(Path(tmp), port, base, url, settings)


def report(progress: Callable[[str], None] = print) -> str:
    random.seed(7)
    with served("rpai-chain-") as running:
        base = running.base
        ready = asyncio.run(prepare(running.settings, progress))
        progress("measuring...")
        big_token = login(base, ready["big"].gerant.email)
        small_token = login(base, ready["small"].gerant.email)
        twenty = summaries(base, big_token)
        two = summaries(base, small_token)
        store = ready["big"].stores[0]
        with httpx.Client(base_url=base, headers={"X-API-Key": ready["key_a"]}) as http:
            reconciliation = median_ms(
                lambda: http.get(
                    "/api/integrations/kpi",
                    params={"store_id": store.id, "from": "2025-01-01", "to": "2025-12-31"},
                )
            )
            hundred = ready["hundred"]
            sellers = ready["big"].sellers[hundred.id]
            days = iter((date(2027, 1, 1) + timedelta(days=n)).isoformat() for n in range(99))
            one_sync = median_ms(
                lambda: http.post(
                    "/api/integrations/kpi/sync",
                    json={
                        "store_id": hundred.id,
                        "date": next(days),
                        "kpi_entries": [{**entry(s), "ca_journalier": 12.5} for s in sellers],
                    },
                ),
                runs=5,
            )
        idle, loaded, counts = asyncio.run(isolation(base, big_token, ready["key_b"]))
    return table(ready, twenty, two, reconciliation, one_sync, (idle, loaded, counts))


def table(
    ready: dict[str, Any],
    twenty: dict[str, float],
    two: dict[str, float],
    reconciliation: float,
    one_sync: float,
    isolated: tuple[float, float, tuple[int, int]],
) -> str:
    idle, loaded, (answered, throttled) = isolated
    lines = [
        "| year-long `kpiSummary`, 50 stores | 20 sellers a store, median ms | 2 sellers a store "
        "| 20 ÷ 2 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for grouping in GROUPINGS:
        ratio = twenty[grouping] / two[grouping]
        lines.append(
            f"| `{grouping}` | {twenty[grouping]:.0f} | {two[grouping]:.0f} | {ratio:.2f} |"
        )
    rate_ratio = ready["with_rollups"] / ready["without_rollups"]
    slowest = max(twenty.values())
    spread = max(twenty[g] / two[g] for g in GROUPINGS)
    lines += [
        "",
        f"Loaded through the sync rule at {ready['load_rate']:,.0f} entries/s (8 syncs at once, "
        "20 entries each).",
        "",
        "| measure | figure | target | met |",
        "| --- | ---: | ---: | :---: |",
        f"| slowest year summary (median) | {slowest:.0f} ms | ≤ 300 ms | "
        f"{'yes' if slowest <= 300 else 'no'} |",
        f"| store-year reconciliation (median) | {reconciliation:.0f} ms | ≤ 100 ms | "
        f"{'yes' if reconciliation <= 100 else 'no'} |",
        f"| 20 ÷ 2 sellers a store, worst grouping | {spread:.2f} | ≤ 1.5 | "
        f"{'yes' if spread <= 1.5 else 'no'} |",
        f"| 100-entry sync on the full collection (median) | {one_sync:.0f} ms | — | — |",
        f"| sync with ÷ without rollups, entries/s | {ready['with_rollups']:,.0f} ÷ "
        f"{ready['without_rollups']:,.0f} = {rate_ratio:.2f} | ≥ 0.8 | "
        f"{'yes' if rate_ratio >= 0.8 else 'no'} |",
        f"| tenant B's `GET /stores`, A running 4 year summaries ÷ idle (medians) | "
        f"{loaded:.1f} ÷ {idle:.1f} ms = {loaded / idle:.2f} | ≤ 2 | "
        f"{'yes' if loaded / idle <= 2 else 'no'} |",
        "",
        f"Meanwhile tenant A's 4 loops (their own process) had {answered} year summaries "
        f"answered and {throttled} refused (429).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=STORES, help="a smaller chain, to try it")
    parser.add_argument("--days", type=int, default=len(YEAR), help="fewer days, to try it")
    args = parser.parse_args()
    STORES, YEAR = args.stores, YEAR[: args.days]
    print(report())  # noqa: T201 - the benchmark's output
