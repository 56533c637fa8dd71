"""What writing a new KPI entry costs the embedded database, three ways.

Starts SecantusDB as `rpai serve` does (durable, its own process) and writes the same new
entries, 500 to a transaction, into a collection with the KPI entries' indexes: as upserts in
a client-level bulkWrite (what the sync sent before), as inserts in a bulkWrite, and as one
insert command a transaction (what the sync sends now for entries its reads found nowhere).
Prints a Markdown table of elapsed milliseconds per entry (the client waits for the database),
median of 3 rounds.
`.venv/bin/python -m bench.entry_writes` (about a minute).
"""

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bson import Decimal128
from pymongo import InsertOne, MongoClient, UpdateOne
from pymongo.client_session import ClientSession

from bench.durability import client, start
from models.kpi_entry import KpiEntry

ENTRIES = 10_000
PER_TRANSACTION = 500
ROUNDS = 3
PORT = 27103

Write = Callable[[MongoClient[dict[str, Any]], str, list[dict[str, Any]], ClientSession], None]


def entries(tag: str) -> list[dict[str, Any]]:
    """New entries as the sync stores them: 20 sellers a store, 1,000 sellers a day."""
    now = datetime.now(UTC)
    return [
        {
            "_id": f"kpi_{tag}_{n}",
            "gerant_id": "gerant",
            "store_id": f"store-{n % 1000 // 20}",
            "ca_journalier": Decimal128(Decimal("1250.50")),
            "nb_ventes": 3,
            "nb_articles": 5,
            "prospects": 9,
            "source": "bench",
            "timestamp": None,
            "updated_at": now,
            "seller_id": f"seller-{n % 1000}",
            "date": (date(2025, 1, 1) + timedelta(days=n // 1000)).isoformat(),
            "created_at": now,
        }
        for n in range(ENTRIES)
    ]


def upserts(
    db: MongoClient[dict[str, Any]], ns: str, batch: list[dict[str, Any]], session: ClientSession
) -> None:
    writes = []
    for entry in batch:
        keys = {"_id", "created_at"}
        fields = {name: value for name, value in entry.items() if name not in keys}
        writes.append(
            UpdateOne(
                {key: entry[key] for key in ("gerant_id", "store_id", "seller_id", "date")},
                {"$set": fields, "$setOnInsert": {key: entry[key] for key in keys}},
                namespace=ns,
                upsert=True,
            )
        )
    db.bulk_write(writes, session=session)


def bulk_inserts(
    db: MongoClient[dict[str, Any]], ns: str, batch: list[dict[str, Any]], session: ClientSession
) -> None:
    db.bulk_write([InsertOne(entry, namespace=ns) for entry in batch], session=session)


def one_insert(
    db: MongoClient[dict[str, Any]], ns: str, batch: list[dict[str, Any]], session: ClientSession
) -> None:
    database, collection = ns.split(".")
    db[database][collection].insert_many(batch, session=session)


WAYS: dict[str, Write] = {
    "upserts in a bulkWrite": upserts,
    "inserts in a bulkWrite": bulk_inserts,
    "one insert command": one_insert,
}


def ms_per_entry(db: MongoClient[dict[str, Any]], name: str, write: Write, run: int) -> float:
    collection = db.bench[f"entries_{run}_{len(name)}"]
    collection.create_indexes(KpiEntry.Settings.indexes)
    ns = f"bench.{collection.name}"
    written = entries(f"{run}_{len(name)}")
    started = time.perf_counter()
    for first in range(0, ENTRIES, PER_TRANSACTION):
        with db.start_session() as session, session.start_transaction():
            write(db, ns, written[first : first + PER_TRANSACTION], session)
    elapsed = time.perf_counter() - started
    collection.drop()
    return elapsed / ENTRIES * 1000


def report() -> str:
    """Milliseconds per new entry, each way, as a Markdown table."""
    with tempfile.TemporaryDirectory() as tmp:
        process = start(Path(tmp), PORT, durable=True)
        try:
            db = client(PORT, durable=True)
            figures: dict[str, list[float]] = {name: [] for name in WAYS}
            for run in range(ROUNDS):
                for name, write in WAYS.items():  # the ways take turns: drift falls on all
                    figures[name].append(ms_per_entry(db, name, write, run))
        finally:
            process.terminate()
            process.wait()
    lines = [
        f"| {ENTRIES:,} new entries, {PER_TRANSACTION} a transaction | ms an entry |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {statistics.median(ms):.2f} |" for name, ms in figures.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
