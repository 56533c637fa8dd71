"""Crash rounds: `rpai serve` on the embedded database, killed with SIGKILL (server and database
together) at a random moment of a stream of writes, restarted; every acknowledged write must be
found whole, and no KPI batch half applied.

`make chaos` runs it many times and prints what was acknowledged against what was found;
tests/system/test_crash.py runs it a few times in CI.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient

WORKERS = 4
SELLERS_PER_STORE = 3
START_TIMEOUT_SECONDS = 60.0
DATABASE = "retail_performer"
CENT = Decimal("0.01")


@dataclass
class Ledger:
    """What the clients sent, and which of it the server acknowledged with a 2xx."""

    stores: set[str] = field(default_factory=set)
    sellers: set[str] = field(default_factory=set)
    batches: list[dict[str, Any]] = field(default_factory=list)  # every batch sent
    acknowledged_batches: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class RoundResult:
    acknowledged: int
    found: int
    half_batches: int

    @property
    def lost(self) -> int:
        return self.acknowledged - self.found


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def environment(data_dir: Path) -> dict[str, str]:
    """A server of its own: its data directory, and metrics off (the default port 9464 would
    clash with a server run side by side, by another test or by `make run`)."""
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URL"}
    return {
        **env,
        "RPAI_DATA_DIR": str(data_dir),
        "RPAI_RATE_LIMIT_PER_MINUTE": "1000000",
        "RPAI_METRICS_PORT": "0",
    }


def rpai(data_dir: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "rpai", *args],
        env=environment(data_dir),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def start_server(
    data_dir: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`rpai serve` in a session of its own, so one signal reaches it and its database."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "rpai", "serve", "--port", str(port)],
            env=env or environment(data_dir),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"rpai serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc): the server's embedded database."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def kill_everything(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the server and its database at once, as a power cut would."""
    database = children(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in database:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


async def writer(
    http: httpx.AsyncClient, key: str, worker: int, round_: int, ledger: Ledger
) -> None:
    """Stores, their sellers and KPI batches, one after the other, until the server dies."""
    headers = {"X-API-Key": key}
    n = 0
    try:
        while True:
            n += 1
            name = f"Magasin r{round_}-w{worker}-{n}"
            created = await http.post(
                "/api/integrations/stores",
                json={"name": name, "location": "Lyon"},
                headers=headers,
            )
            if created.status_code != 200:
                return
            store_id = created.json()["store"]["id"]
            ledger.stores.add(store_id)
            sellers = []
            for s in range(SELLERS_PER_STORE):
                email = f"s{s}-r{round_}-w{worker}-{n}@example.com"
                seller = await http.post(
                    f"/api/integrations/stores/{store_id}/sellers",
                    json={"name": f"Vendeur {s}", "email": email, "send_invitation": False},
                    headers=headers,
                )
                if seller.status_code != 200:
                    return
                sellers.append(seller.json()["seller_id"])
                ledger.sellers.add(sellers[-1])
            batch = {
                "store_id": store_id,
                "date": "2024-01-15",
                "kpi_entries": [
                    {
                        "seller_id": seller_id,
                        "ca_journalier": random.randint(0, 9_999_999) / 100,
                        "nb_ventes": random.randint(0, 50),
                        "nb_articles": random.randint(0, 90),
                        "prospects": random.randint(0, 99),
                    }
                    for seller_id in sellers
                ],
            }
            ledger.batches.append(batch)
            synced = await http.post("/api/integrations/kpi/sync", json=batch, headers=headers)
            if synced.status_code != 200:
                return
            ledger.acknowledged_batches.append(batch)
    except httpx.TransportError:
        return


async def stream_until_killed(
    base: str, key: str, round_: int, process: subprocess.Popen[bytes], ledger: Ledger
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        workers = [
            asyncio.create_task(writer(http, key, worker, round_, ledger))
            for worker in range(WORKERS)
        ]
        await asyncio.sleep(random.uniform(0.5, 2.0))
        kill_everything(process)
        await asyncio.gather(*workers)


def check(data_dir: Path, ledger: Ledger) -> RoundResult:
    """Count the acknowledged writes found in the database, and the batches half applied."""
    login = json.loads((data_dir / "db-credentials.json").read_text())
    port = json.loads((data_dir / "db-address.json").read_text())["port"]
    client: MongoClient[dict[str, Any]] = MongoClient(
        f"mongodb://{login['username']}:{login['password']}@127.0.0.1:{port}/?authSource=admin"
    )
    db = client[DATABASE]
    try:
        stores = {d["_id"] for d in db.stores.find({"_id": {"$in": list(ledger.stores)}})}
        sellers = {d["_id"] for d in db.users.find({"_id": {"$in": list(ledger.sellers)}})}
        found_batches = 0
        half = 0
        for batch in ledger.batches:
            ids = [entry["seller_id"] for entry in batch["kpi_entries"]]
            stored = {d["seller_id"]: d for d in db.kpi_entries.find({"seller_id": {"$in": ids}})}
            if 0 < len(stored) < len(ids):
                half += 1
            if batch in ledger.acknowledged_batches and all(
                entry["seller_id"] in stored
                and stored[entry["seller_id"]]["ca_journalier"].to_decimal()
                == Decimal(repr(entry["ca_journalier"])).quantize(CENT)
                and stored[entry["seller_id"]]["nb_ventes"] == entry["nb_ventes"]
                for entry in batch["kpi_entries"]
            ):
                found_batches += 1
    finally:
        client.close()
    acknowledged = len(ledger.stores) + len(ledger.sellers) + len(ledger.acknowledged_batches)
    found = len(stores) + len(sellers) + found_batches
    return RoundResult(acknowledged=acknowledged, found=found, half_batches=half)


def run_rounds(rounds: int, data_dir: Path) -> list[RoundResult]:
    """Kill and restart `rpai serve` `rounds` times on one data directory."""
    rpai(data_dir, "create-gerant", "--name", "Chaos", "--email", "chaos@example.com")
    key = rpai(
        data_dir,
        "create-api-key",
        "--gerant-email",
        "chaos@example.com",
        "--name",
        "chaos",
        "--permissions",
        "stores:read,stores:write,users:write,kpi:write",
    )["key"]
    log = data_dir.parent / "chaos-server.log"
    results = []
    for round_ in range(rounds):
        port = free_port()
        process = start_server(data_dir, port, log)
        ledger = Ledger()
        asyncio.run(stream_until_killed(f"http://127.0.0.1:{port}", key, round_, process, ledger))
        process = start_server(data_dir, free_port(), log)
        try:
            results.append(check(data_dir, ledger))
        finally:
            process.terminate()
            process.wait(timeout=60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rpai-chaos-") as tmp:
        results = run_rounds(args.rounds, Path(tmp) / "data")
    for n, result in enumerate(results, 1):
        print(  # noqa: T201 - the script's report
            f"round {n:3}: acknowledged {result.acknowledged:5}  found {result.found:5}  "
            f"lost {result.lost}  half-applied batches {result.half_batches}"
        )
    acknowledged = sum(r.acknowledged for r in results)
    found = sum(r.found for r in results)
    half = sum(r.half_batches for r in results)
    print(  # noqa: T201
        f"total: {acknowledged} acknowledged writes, {found} found, "
        f"{acknowledged - found} lost, {half} half-applied batches"
    )
    raise SystemExit(0 if found == acknowledged and half == 0 else 1)


if __name__ == "__main__":
    main()
