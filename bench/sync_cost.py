"""Benchmark: where the 100-entry sync's CPU goes beyond the bare app's (issue 23's 1.5x bound).

Three servers side by side on one SecantusDB, taking turns on 100-entry syncs of new days:
ours as shipped, ours with its periodic work paused (every poll and flush at 600 s; its own
database, so that the other's projector does not fold its days), and the bare app. Then, timed
in this process, the parts of a sync the bare app does not do, and the app's CPU of one
database command. Not a test: figures depend on the machine.
Run: `.venv/bin/python bench/sync_cost.py [--requests N]` (about 3 minutes).
"""

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import timeit
from typing import Any

from bson import Decimal128, ObjectId
from motor.motor_asyncio import AsyncIOMotorClient
from pydantic import TypeAdapter
from pymongo import UpdateOne
from run import PYTHON, UVICORN_FLAGS, Server, bootstrap, kpi_body, measure, process, scenarios

from infra.event_log import DEFAULT_EVENT_LOG
from models.clock import utcnow
from resolvers.kpi.rollups import store_day_document
from resolvers.kpi.scope import KpiTenant
from resolvers.kpi.sync import KpiSync, KpiSyncCounts, _synced, entry_of, store_day_batch
from rpai.database import free_port

SYNC = "POST /kpi/sync (100)"
ME = "GET /me"  # what our edge and authentication add to a request: ours - bare
ME_PER_SYNC = 4
PAUSED = {
    f"RPAI_{name}_SECONDS": "600"
    for name in (
        "KPI_FOLD",
        "WEBHOOK_POLL",
        "RATE_LIMIT_SYNC",
        "AUDIT_FLUSH",
        "IMPORT_POLL",
        "OUTBOX_POLL",
        "KEY_USAGE_FLUSH",
    )
}
BARE_FIGURES = {
    "ca_journalier": Decimal128("10.50"),
    "nb_ventes": 1,
    "nb_articles": 2,
    "prospects": 0,
    "source": "external_api",
}
EXTRA_COMMANDS = 2  # the store day's read of the day's entries, the insert beside the bulkWrite
TIMINGS = 100
REPEATS = 5


def in_process() -> dict[str, float]:
    """CPU ms of each part of a sync the bare app does not do, timed here, one sync's worth."""
    sellers = [f"usr_{ObjectId()}" for _ in range(100)]
    body = json.dumps(kpi_body("sto_bench", sellers, 0)).encode()
    adapter = TypeAdapter(KpiSync)
    data = adapter.validate_python(json.loads(body))
    tenant = KpiTenant("ger_bench")
    entries = [
        entry_of(seller, given) for seller, given in zip(sellers, data.kpi_entries, strict=True)
    ]
    batch = store_day_batch(
        tenant=tenant,
        store_id="sto_bench",
        day=data.date,
        source=data.source,
        entries=entries,
        movers=(),
        events=DEFAULT_EVENT_LOG,
    )
    lines = list(batch.new.values())
    now = utcnow()

    def bare_upserts() -> list[UpdateOne]:
        """The bare app's (`bench/bare_app.py`): its documents built in advance, but the real
        sync's filter, fields and new ids."""
        owner = {"gerant_id": "ger_bench", "store_id": "sto_bench"}
        fields = {**owner, **BARE_FIGURES, "timestamp": None, "updated_at": now}
        return [
            UpdateOne(
                {**owner, "seller_id": seller, "date": data.date},
                {"$set": fields, "$setOnInsert": {"_id": f"kpi_{ObjectId()}", "created_at": now}},
                upsert=True,
            )
            for seller in sellers
        ]

    document = store_day_document(tenant, "sto_bench", data.date, lines)
    counts = KpiSyncCounts(created=100, updated=0)

    def time_of(work: Any) -> float:
        """CPU ms of one `work`: the least of REPEATS timings (the others met the machine's
        noise)."""
        timings = timeit.repeat(work, timer=time.process_time, number=TIMINGS, repeat=REPEATS)
        return min(timings) / TIMINGS * 1000

    return {
        "body validation (JSON to KpiSync)": time_of(
            lambda: adapter.validate_python(json.loads(body))
        ),
        "lines of the day (entry_of)": time_of(
            lambda: [entry_of(s, g) for s, g in zip(sellers, data.kpi_entries, strict=True)]
        ),
        "store day and its checksum": time_of(
            lambda: store_day_document(tenant, "sto_bench", data.date, lines)
        ),
        "new entries' documents, less the bare upserts'": time_of(
            lambda: batch.new_entries(frozenset())
        )
        - time_of(bare_upserts),
        "`kpi.synced` event document": time_of(
            lambda: _synced(batch, counts, document["checksum"])
        ),
    }


async def command_cpu(url: str) -> float:
    """The app's CPU ms of one database command through motor (a find by id)."""
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url)
    collection = client.get_default_database().command_cost
    await collection.insert_one({"_id": "one"})
    for _ in range(100):
        await collection.find_one({"_id": "one"})
    started = time.process_time()
    for _ in range(TIMINGS * REPEATS):
        await collection.find_one({"_id": "one"})
    cpu = (time.process_time() - started) / (TIMINGS * REPEATS) * 1000
    client.close()
    return cpu


def servers(requests: int) -> tuple[dict[str, float], float]:
    """CPU ms per sync of ours, ours paused and bare, and what our edge adds to a `GET /me`;
    and the app's CPU of one command."""
    with tempfile.TemporaryDirectory(prefix="rpai-bench-") as tmp:
        db_port = free_port()
        db = subprocess.Popen(
            [
                *(PYTHON, "-m", "secantus", "--host", "127.0.0.1", "--port", str(db_port)),
                *("--storage-path", f"{tmp}/db", "--log-level", "WARNING"),
            ]
        )
        try:
            time.sleep(1.5)
            base_env = {
                **os.environ,
                "RPAI_DATA_DIR": tmp,
                "RPAI_RATE_LIMIT_PER_MINUTE": "100000000",
                "RPAI_LOG_LEVEL": "WARNING",
            }
            url = f"mongodb://127.0.0.1:{db_port}/bench"
            env = {**base_env, "MONGODB_URL": url}
            paused_env = {**base_env, **PAUSED, "MONGODB_URL": f"{url}_paused"}
            ports = [free_port() for _ in range(3)]
            ours, paused, bare = (f"http://127.0.0.1:{port}" for port in ports)
            uvicorn = [PYTHON, "-m", "uvicorn", "--port"]
            with (
                process(
                    [*uvicorn, str(ports[0]), *UVICORN_FLAGS, "rpai.asgi:app"], env, ours
                ) as ours_pid,
                process(
                    [*uvicorn, str(ports[1]), *UVICORN_FLAGS, "rpai.asgi:app"], paused_env, paused
                ) as paused_pid,
            ):
                gerant_id, key, store_id, sellers = bootstrap(env, ours)
                _, paused_key, paused_store, paused_sellers = bootstrap(paused_env, paused)
                bare_env = {**env, "BENCH_GERANT_ID": gerant_id, "BENCH_STORE_ID": store_id}
                bare_app = [*uvicorn, str(ports[2]), *UVICORN_FLAGS, "bench.bare_app:app"]
                with process(bare_app, bare_env, f"{bare}/api/integrations/me") as bare_pid:
                    measured = [
                        Server(ours, ours_pid, scenarios(key, store_id, sellers, 0), [SYNC, ME]),
                        Server(
                            paused,
                            paused_pid,
                            scenarios(paused_key, paused_store, paused_sellers, 0),
                            [SYNC],
                        ),
                        Server(
                            bare, bare_pid, scenarios(key, store_id, sellers, 200_000), [SYNC, ME]
                        ),
                    ]
                    counts = {SYNC: requests, ME: requests * ME_PER_SYNC}
                    results = asyncio.run(measure(measured, counts, {SYNC: 1, ME: 8}))
            command = asyncio.run(command_cpu(url))
        finally:
            db.terminate()
            db.wait(timeout=30)
    ours_results, paused_results, bare_results = results
    per_request = {
        "ours": ours_results[SYNC].cpu_per_request_ms,
        "paused": paused_results[SYNC].cpu_per_request_ms,
        "bare": bare_results[SYNC].cpu_per_request_ms,
        "edge": ours_results[ME].cpu_per_request_ms - bare_results[ME].cpu_per_request_ms,
    }
    return per_request, command


def report(requests: int) -> str:
    measured, command = servers(requests)
    parts = in_process()
    ours, paused, bare, edge = measured.values()
    gap = ours - bare
    rows = [
        ("ours, as shipped", ours),
        ("ours, periodic work paused", paused),
        ("bare app", bare),
        ("**gap: ours - bare**", gap),
        ("what the 1.5x bound allows over bare", bare / 2),
        ("periodic work (ours - paused)", ours - paused),
        *parts.items(),
        (f"{EXTRA_COMMANDS} more commands ({command:.2f} ms each)", EXTRA_COMMANDS * command),
        ("edge and authentication (`GET /me`, ours - bare)", edge),
    ]
    explained = sum(value for _, value in rows[5:])
    rows.append(("the rest (store and sellers read, transaction, response)", gap - explained))
    table = ["| 100-entry sync | CPU ms |", "| --- | ---: |"]
    table += [f"| {label} | {value:.2f} |" for label, value in rows]
    return "\n".join(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300, help="syncs per server")
    print(report(parser.parse_args().requests))  # noqa: T201 - the benchmark's output


if __name__ == "__main__":
    main()
