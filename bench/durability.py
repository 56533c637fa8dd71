"""What durability costs: writes per second on the embedded database, journaled or not.

Starts SecantusDB as its own process twice, as `rpai serve` does: once as shipped (every
commit's log synced, writes with j: true and w: majority), once with neither, and times the
same writes against each: single inserts, and 100-entry KPI batches in a transaction.
Prints a Markdown table (copied into bench/RESULTS.md).
"""

import json
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bson import Decimal128
from pymongo import MongoClient, UpdateOne

INSERTS = 1000
BATCHES = 100
ENTRIES = 100


def start(data: Path, port: int, durable: bool) -> subprocess.Popen[bytes]:
    credentials = data / "credentials.json"
    credentials.write_text(json.dumps({"username": "bench", "password": "bench"}))
    if durable:
        command = [sys.executable, "-m", "rpai.embedded_db", "--storage", str(data / "db")]
        command += ["--port", str(port), "--credentials", str(credentials)]
    else:
        command = [sys.executable, "-m", "secantus", "--storage-path", str(data / "db")]
        command += ["--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def client(port: int, durable: bool) -> MongoClient[dict[str, Any]]:
    if durable:
        url = f"mongodb://bench:bench@127.0.0.1:{port}/?authSource=admin"
        found: MongoClient[dict[str, Any]] = MongoClient(url, w="majority", journal=True)
    else:
        found = MongoClient(f"mongodb://127.0.0.1:{port}/")
    for _ in range(300):
        try:
            found.admin.command("listDatabases", nameOnly=True)
            return found
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("database did not start")


def batch(n: int) -> list[UpdateOne]:
    return [
        UpdateOne(
            {"seller_id": f"seller-{e}", "date": f"2024-{1 + n // 28:02d}-{1 + n % 28:02d}"},
            {"$set": {"ca_journalier": Decimal128(Decimal("1250.50")), "nb_ventes": e}},
            upsert=True,
        )
        for e in range(ENTRIES)
    ]


def measure(durable: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        port = 27100 + int(durable)
        process = start(Path(tmp), port, durable)
        try:
            db = client(port, durable).bench
            db.kpi_entries.create_index([("seller_id", 1), ("date", 1)], unique=True)
            started = time.perf_counter()
            for n in range(INSERTS):
                db.stores.insert_one({"n": n})
            inserts = INSERTS / (time.perf_counter() - started)
            started = time.perf_counter()
            for n in range(BATCHES):
                with db.client.start_session() as session, session.start_transaction():
                    db.kpi_entries.bulk_write(batch(n), session=session)
            entries = BATCHES * ENTRIES / (time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait()
    return inserts, entries


def report() -> str:
    """The cost of durability, as a Markdown table."""
    fast_inserts, fast_entries = measure(durable=False)
    safe_inserts, safe_entries = measure(durable=True)
    lines = [
        "| writes | not journaled | durable (as shipped) | durable ÷ not |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, fast, safe in (
        (f"single inserts / s ({INSERTS})", fast_inserts, safe_inserts),
        (f"KPI entries / s ({BATCHES} transactions of {ENTRIES})", fast_entries, safe_entries),
    ):
        lines.append(f"| {name} | {fast:,.0f} | {safe:,.0f} | {safe / fast:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
