"""Benchmark: what recording its `kpi.synced` event adds to a 100-entry sync, in the app's CPU.

100-entry syncs of new days run through the sync rule on the embedded database (its own
process, so its work is not counted); the app process's CPU (time.process_time) is summed over
each whole sync and over its event alone, and the share is their ratio, median of ROUNDS. The
event rides in the sync's one bulkWrite with its entries and store days, so what it adds is
its building and its encoding as one more operation of that command: both are timed (the
encoding done once more here, as the driver does it). Measured inside each sync rather than as
the difference of two runs, which the machine's noise (±10 %) would swamp.
Not a test: figures depend on the machine. Run: `python -m bench.event_cost`.
"""

import asyncio
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import bson

from contract.actor import Actor
from contract.credentials import actor_for_user
from models import Role, Store, User
from resolvers.gerants import GerantCreate, create_gerant
from resolvers.kpi import sync as kpi_sync
from resolvers.kpi.sync import KpiSync, sync_kpis
from rpai.database import connected, database_url
from rpai.settings import Settings

SELLERS = 100
SYNCS = 60  # a round: this many syncs of different days
ROUNDS = 5


class EventTimer:
    """What the sync spends on its event: built (`_synced`) and encoded as the bulkWrite's
    insert operation, their CPU summed."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.build = kpi_sync._synced

    def synced(self, *args: Any) -> dict[str, Any]:
        started = time.process_time()
        event = self.build(*args)
        bson.encode({"insert": 0, "document": event})
        self.cpu += time.process_time() - started
        return event


def _body(store_id: str, day: str) -> KpiSync:
    entries = [
        {
            "seller_id": f"seller-{n}",
            "ca_journalier": 1250.5 + n,
            "nb_ventes": 12,
            "nb_articles": 20,
        }
        for n in range(SELLERS)
    ]
    return KpiSync.model_validate({"store_id": store_id, "date": day, "kpi_entries": entries})


async def _round(actor: Actor, store_id: str, first_day: date) -> tuple[float, float]:
    """App CPU ms per sync, and of its event alone, over SYNCS syncs of new days."""
    bodies = [_body(store_id, (first_day + timedelta(days=n)).isoformat()) for n in range(SYNCS)]
    timer = EventTimer()
    with mock.patch.object(kpi_sync, "_synced", timer.synced):
        started = time.process_time()
        for body in bodies:
            await sync_kpis(actor=actor, data=body)
        whole = time.process_time() - started
    return whole / SYNCS * 1000, timer.cpu / SYNCS * 1000


async def report_async() -> str:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), db_timeout_seconds=60)
        with database_url(settings) as url:
            settings = Settings(
                mongodb_url=url.replace("/?", "/bench_events?"), data_dir=Path(folder)
            )
            async with connected(str(settings.mongodb_url), settings):
                gerant = await create_gerant(
                    data=GerantCreate(name="Bench", email="bench@example.com")
                )
                store = Store(gerant_id=gerant.id, name="Bench", name_key="bench", location="x")
                await store.insert()
                for n in range(SELLERS):
                    await User(
                        id=f"seller-{n}",
                        gerant_id=gerant.id,
                        name=f"Seller {n}",
                        email=f"s{n}@example.com",
                        email_key=f"s{n}@example.com",
                        role=Role.SELLER,
                        store_id=store.id,
                    ).insert()
                actor = actor_for_user(gerant)
                day = date(2025, 1, 1)
                await _round(actor, store.id, day)  # warm-up
                rounds = []
                for _ in range(ROUNDS):
                    day += timedelta(days=SYNCS)
                    rounds.append(await _round(actor, store.id, day))
    whole = statistics.median(sync for sync, _ in rounds)
    event = statistics.median(event for _, event in rounds)
    share = statistics.median(event / sync for sync, event in rounds) * 100
    return (
        f"100-entry sync, app CPU per sync: {whole:.2f} ms, of which its event {event:.2f} ms: "
        f"{share:.1f} % (target ≤ 5 %)"
    )


def report() -> str:
    return asyncio.run(report_async())


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
