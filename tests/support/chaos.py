"""Crash rounds: `rpai serve` on the embedded database, killed with SIGKILL (server and database
together) at a random moment of a stream of writes, restarted; every acknowledged write must be
found whole, and no KPI batch half applied; every acknowledged write must have its event, and no
event may exist without its write (they commit together). Every write carries an
Idempotency-Key; after the restart each one left without an answer (or answered 5xx) is sent
again with its key, as a client would, and must be answered 200 with what it created (never 400
"already exists").

`make chaos` runs it many times and prints what was acknowledged against what was found;
tests/system/test_crash.py runs it a few times in CI.
"""

import argparse
import asyncio
import json
import random
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pymongo import MongoClient
from pymongo.database import Database

from rpai.database import free_port
from tests.support.provisioned import provision
from tests.support.servers import kill_everything, start_subprocess_server, subprocess_server

WORKERS = 4
SELLERS_PER_STORE = 3
DATABASE = "retail_performer"
CENT = Decimal("0.01")


# A request left in progress by the killed server is refused (409) until its lock times out.
RETRY_SECONDS = 90.0
RETRY_PAUSE_SECONDS = 1.0


@dataclass(frozen=True)
class Unanswered:
    """A write whose outcome the client never learned: to send again with its key."""

    path: str
    body: dict[str, Any]
    idempotency_key: str


@dataclass
class Ledger:
    """What the clients sent, and which of it the server acknowledged with a 2xx."""

    stores: set[str] = field(default_factory=set)
    sellers: set[str] = field(default_factory=set)
    batches: list[dict[str, Any]] = field(default_factory=list)  # every batch sent
    acknowledged_batches: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[Unanswered] = field(default_factory=list)
    already_exists: int = 0  # writes answered 400 "already exists" before any retry of ours

    def acknowledge(self, path: str, body: dict[str, Any], answer: dict[str, Any]) -> None:
        """Count a 2xx answer's write among those that must be found."""
        if path == "/api/integrations/stores":
            self.stores.add(answer["store"]["id"])
        elif path.endswith("/sellers"):
            self.sellers.add(answer["seller_id"])
        else:
            self.acknowledged_batches.append(body)


@dataclass(frozen=True)
class Retries:
    """The unanswered writes sent again after the restart, by outcome."""

    sent: int = 0
    answered: int = 0  # 200 with what the first attempt (or this one) created
    already_exists: int = 0  # 400 "already exists": the first attempt's write not recognised
    other: int = 0

    @property
    def failed(self) -> int:
        return self.sent - self.answered


@dataclass(frozen=True)
class RoundResult:
    acknowledged: int
    found: int
    half_batches: int
    retries: Retries = Retries()
    without_event: int = 0  # acknowledged writes whose event is missing
    orphan_events: int = 0  # events (of the whole log so far) whose write is missing

    @property
    def lost(self) -> int:
        return self.acknowledged - self.found


# The crash rounds' server and commands: one client sends thousands of writes a minute.
CHAOS_ENV = {"RPAI_RATE_LIMIT_PER_MINUTE": "1000000"}


class Stop(Exception):
    """The server stopped answering: this writer is done."""


async def post(
    http: httpx.AsyncClient, key: str, path: str, body: dict[str, Any], idem: str, ledger: Ledger
) -> dict[str, Any]:
    """A write with its Idempotency-Key; one left unanswered or answered 5xx is noted to retry."""
    headers = {"X-API-Key": key, "Idempotency-Key": idem}
    try:
        answer = await http.post(path, json=body, headers=headers)
    except httpx.TransportError:
        ledger.unanswered.append(Unanswered(path, body, idem))
        raise Stop from None
    if answer.status_code >= 500:
        ledger.unanswered.append(Unanswered(path, body, idem))
    elif answer.status_code == 400 and "already" in answer.text:
        ledger.already_exists += 1
    if answer.status_code != 200:
        raise Stop
    found: dict[str, Any] = answer.json()
    ledger.acknowledge(path, body, found)
    return found


async def writer(
    http: httpx.AsyncClient, key: str, worker: int, round_: int, ledger: Ledger
) -> None:
    """Stores, their sellers and KPI batches, one after the other, until the server dies."""
    n = 0
    try:
        while True:
            n += 1
            tag = f"r{round_}-w{worker}-{n}"
            store = {"name": f"Magasin {tag}", "location": "Lyon"}
            created = await post(http, key, "/api/integrations/stores", store, f"{tag}-s", ledger)
            store_id = created["store"]["id"]
            sellers = []
            for s in range(SELLERS_PER_STORE):
                seller = {
                    "name": f"Vendeur {s}",
                    "email": f"s{s}-{tag}@example.com",
                    "send_invitation": False,
                }
                path = f"/api/integrations/stores/{store_id}/sellers"
                made = await post(http, key, path, seller, f"{tag}-v{s}", ledger)
                sellers.append(made["seller_id"])
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
            await post(http, key, "/api/integrations/kpi/sync", batch, f"{tag}-k", ledger)
    except Stop:
        return


async def retry_one(http: httpx.AsyncClient, key: str, write: Unanswered) -> httpx.Response:
    """Send `write` again with its key until it is no longer in progress (409) or unavailable."""
    headers = {"X-API-Key": key, "Idempotency-Key": write.idempotency_key}
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        answer = await http.post(write.path, json=write.body, headers=headers)
        if answer.status_code not in (409, 503) or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def retry_unanswered(base: str, key: str, ledger: Ledger) -> Retries:
    """Every write left without an answer, sent again with its Idempotency-Key."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answers = await asyncio.gather(*(retry_one(http, key, w) for w in ledger.unanswered))
    answered = already_exists = 0
    for write, answer in zip(ledger.unanswered, answers, strict=True):
        if answer.status_code == 200:
            answered += 1
            ledger.acknowledge(write.path, write.body, answer.json())
        elif answer.status_code == 400 and "already" in answer.text:
            already_exists += 1
    sent = len(answers)
    return Retries(sent, answered, already_exists, sent - answered - already_exists)


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


def check_events(db: Database[dict[str, Any]], ledger: Ledger) -> tuple[int, int]:
    """Acknowledged writes without their event, and events without their write (the whole
    log: a round's killed writes must not have left an event behind either)."""
    objects: dict[str, set[Any]] = {"store.created": set(), "user.created": set()}
    synced: set[tuple[str, str]] = set()
    for event in db.events.find({"type": {"$in": [*objects, "kpi.synced"]}}):
        data = event["data"]["object"]
        if event["type"] == "kpi.synced":
            synced.add((data["store_id"], data["date"]))
        else:
            objects[event["type"]].add(data["id"])
    without = len(ledger.stores - objects["store.created"])
    without += len(ledger.sellers - objects["user.created"])
    without += sum(
        (batch["store_id"], batch["date"]) not in synced for batch in ledger.acknowledged_batches
    )
    stores = {d["_id"] for d in db.stores.find({"_id": {"$in": list(objects["store.created"])}})}
    users = {d["_id"] for d in db.users.find({"_id": {"$in": list(objects["user.created"])}})}
    days = {
        (d["_id"]["store_id"], d["_id"]["date"])
        for d in db.kpi_entries.aggregate(
            [{"$group": {"_id": {"store_id": "$store_id", "date": "$date"}}}]
        )
    }
    orphans = len(objects["store.created"] - stores) + len(objects["user.created"] - users)
    orphans += len(synced - days)
    return without, orphans


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
        without_event, orphan_events = check_events(db, ledger)
    finally:
        client.close()
    acknowledged = len(ledger.stores) + len(ledger.sellers) + len(ledger.acknowledged_batches)
    found = len(stores) + len(sellers) + found_batches
    return RoundResult(
        acknowledged=acknowledged,
        found=found,
        half_batches=half,
        without_event=without_event,
        orphan_events=orphan_events,
    )


def run_rounds(rounds: int, data_dir: Path) -> list[RoundResult]:
    """Kill and restart `rpai serve` `rounds` times on one data directory."""
    key = provision(
        data_dir,
        name="Chaos",
        email="chaos@example.com",
        key_name="chaos",
        permissions="stores:read,stores:write,users:write,kpi:write",
        env=CHAOS_ENV,
    ).key
    log = data_dir.parent / "chaos-server.log"
    results = []
    for round_ in range(rounds):
        port = free_port()
        process = start_subprocess_server(data_dir, port, log, CHAOS_ENV)
        ledger = Ledger()
        asyncio.run(stream_until_killed(f"http://127.0.0.1:{port}", key, round_, process, ledger))
        with subprocess_server(data_dir, log, CHAOS_ENV) as base:
            retries = asyncio.run(retry_unanswered(base, key, ledger))
            results.append(replace(check(data_dir, ledger), retries=retries))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rpai-chaos-") as tmp:
        results = run_rounds(args.rounds, Path(tmp) / "data")
    for n, result in enumerate(results, 1):
        retries = result.retries
        print(  # noqa: T201 - the script's report
            f"round {n:3}: acknowledged {result.acknowledged:5}  found {result.found:5}  "
            f"lost {result.lost}  half-applied batches {result.half_batches}  "
            f"retried {retries.sent} answered {retries.answered} "
            f"already-exists {retries.already_exists} other {retries.other}  "
            f"without event {result.without_event} orphan events {result.orphan_events}"
        )
    acknowledged = sum(r.acknowledged for r in results)
    found = sum(r.found for r in results)
    half = sum(r.half_batches for r in results)
    retried = sum(r.retries.sent for r in results)
    failed = sum(r.retries.failed for r in results)
    existing = sum(r.retries.already_exists for r in results)
    without_event = sum(r.without_event for r in results)
    orphans = sum(r.orphan_events for r in results)
    print(  # noqa: T201
        f"total: {acknowledged} acknowledged writes, {found} found, "
        f"{acknowledged - found} lost, {half} half-applied batches; {retried} unanswered writes "
        f"retried with their Idempotency-Key, {retried - failed} answered 200, "
        f"{existing} 'already exists', {failed - existing} other; "
        f"{without_event} acknowledged writes without their event, "
        f"{orphans} events without their write"
    )
    whole = found == acknowledged and half == 0 and failed == 0
    raise SystemExit(0 if whole and without_event == 0 and orphans == 0 else 1)


if __name__ == "__main__":
    main()
