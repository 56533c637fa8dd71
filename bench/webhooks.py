"""Benchmark "webhooks": how soon a committed event reaches a receiver, and how many deliveries
a second one server makes, with none lost or duplicated.

SecantusDB in its own process (its log synced at each commit, as shipped), `rpai serve` on it
with the default delivery settings (RPAI_WEBHOOK_ALLOW_PRIVATE for the local receiver), and a
receiver (uvicorn, in a thread) answering 200 at once. Events are written straight into the
log, as the recorder commits them. Not a test: figures depend on the machine. `make bench`
runs it; `.venv/bin/python -m bench.webhooks` alone prints its table.
"""

import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from infra.webhook_sender import generate_secret
from models.clock import utcnow
from models.ids import new_id
from rpai.database import free_port
from tests.support.servers import subprocess_server
from tests.support.webhook_receiver import Receiver, receiving

TENANT = "usr_bench"
LATENCY_EVENTS = 60
BURST_EVENTS = 1000
BURST_WAIT_SECONDS = 300.0
SCENARIO = (
    f"commit to first attempt: {LATENCY_EVENTS} events committed one at a time at random "
    "moments (so that each falls anywhere in the workers' poll), each waited for; burst: "
    f"{BURST_EVENTS} events committed at once to one endpoint, the receiver answering 200 at "
    "once; one `rpai serve`, default settings (poll "
    "RPAI_WEBHOOK_POLL_SECONDS=0.5 s), SecantusDB in its own process."
)


def event_document() -> dict[str, Any]:
    now = utcnow()
    return {
        "_id": new_id("evt"),
        "gerant_id": TENANT,
        "type": "store.updated",
        "created_at": now,
        "data": {"object": {"id": "sto_1", "name": "Lyon"}, "previous_attributes": {}},
        "expires_at": now + timedelta(days=30),
        "to_dispatch": True,
    }


def wait_for(receiver: Receiver, count: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while len({r.webhook_id for r in receiver.received}) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(database: Any, receiver: Receiver) -> list[str]:
    """The table's rows: latency, then the burst."""
    delays = []
    for _ in range(LATENCY_EVENTS):
        time.sleep(random.uniform(0.05, 0.6))
        event = event_document()
        database.events.insert_one(event)
        committed = time.time()
        before = len(receiver.received)
        wait_for(receiver, len({r.webhook_id for r in receiver.received}) + 1, 30)
        arrived = next(r.at for r in receiver.received[before:] if r.webhook_id == event["_id"])
        delays.append(arrived - committed)
    receiver.received.clear()
    burst = [event_document() for _ in range(BURST_EVENTS)]
    started = time.time()
    database.events.insert_many(burst)
    wait_for(receiver, BURST_EVENTS, BURST_WAIT_SECONDS)
    time.sleep(2)  # any duplicate still coming
    ids = Counter(r.webhook_id for r in receiver.received)
    wanted = {e["_id"] for e in burst}
    last = max(r.at for r in receiver.received)
    delivered = database.webhook_deliveries.count_documents(
        {"status": "delivered", "event_id": {"$in": list(wanted)}}
    )
    return [
        f"| commit → first attempt, p50 | {statistics.median(delays) * 1000:.0f} ms |",
        f"| commit → first attempt, p95 | {percentile(delays, 0.95) * 1000:.0f} ms |",
        f"| commit → first attempt, max | {max(delays) * 1000:.0f} ms |",
        f"| burst: deliveries per second | {len(ids) / (last - started):.0f} |",
        f"| burst: recorded delivered | {delivered} of {BURST_EVENTS} |",
        f"| burst: lost | {len(wanted - set(ids))} |",
        f"| burst: duplicated | {sum(n - 1 for n in ids.values())} |",
    ]


def report() -> str:
    """Run the scenario; a Markdown table."""
    with tempfile.TemporaryDirectory(prefix="rpai-bench-webhooks-") as tmp:
        port = free_port()
        command = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--storage-path", f"{tmp}/db", "--sync-on-commit", "--log-level", "WARNING"]
        database_process = subprocess.Popen(command)
        url = f"mongodb://127.0.0.1:{port}/bench_webhooks"
        client: MongoClient[dict[str, Any]] = MongoClient(url, tz_aware=True)
        receiver = Receiver()
        try:
            time.sleep(1.5)
            env = {
                "MONGODB_URL": url,
                "RPAI_WEBHOOK_ALLOW_PRIVATE": "true",
                "RPAI_LOG_LEVEL": "WARNING",
            }
            with (
                receiving(receiver) as base,
                subprocess_server(Path(tmp) / "data", Path(tmp) / "server.log", env),
            ):
                database = client.get_default_database()
                database.webhook_endpoints.insert_one(
                    {
                        "_id": new_id("we"),
                        "gerant_id": TENANT,
                        "url": f"{base}/hook",
                        "events": ["*"],
                        "status": "enabled",
                        "secret": generate_secret(),
                        "created_at": utcnow() - timedelta(minutes=1),
                        "updated_at": utcnow(),
                    }
                )
                rows = measure(database, receiver)
        finally:
            client.close()
            database_process.terminate()
            database_process.wait(timeout=30)
    return "\n".join(["| Webhooks | |", "|---|---|", *rows])


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
