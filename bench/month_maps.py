"""Benchmark: the month rollups' day and seller maps kept as one JSON text (as shipped) against
the same maps as BSON, on the embedded database.

A chain-year's month rollups (50 stores by 12 months, 20 sellers a store) are written in each
shape to a collection of their own; a summary's read (every month of the tenant, whole) and a
projector's write (one month replaced) are timed, median of ROUNDS, from a client in this
process (its decoding counted: the app decodes what it reads). Shapes: `text` the maps as
`packed` writes them; `documents` each figure a named field; `arrays` each key's figures as
an array in FIGURE_FIELDS order.
Not a test: figures depend on the machine. Run: `python -m bench.month_maps`.
"""

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection

from resolvers.kpi.figures import FIGURE_FIELDS, Figures, packed
from rpai.database import embedded_server

STORES, MONTHS, SELLERS, DAYS = 50, 12, 20, 30
ROUNDS = 7
Maps = dict[str, Figures]
Shape = Callable[[Maps], Any]

SHAPES: dict[str, Shape] = {
    "text": packed,
    "documents": lambda maps: {key: figures.as_fields() for key, figures in maps.items()},
    "arrays": lambda maps: {key: list(figures.as_tuple()) for key, figures in maps.items()},
}


def month(store: int, number: int, shape: Shape) -> dict[str, Any]:
    """One store's month rollup with its maps in `shape`."""
    period = f"2025-{number:02}"
    day = Figures(ca_cents=2_500_050, nb_ventes=240, nb_articles=400, prospects=800, entries=20)
    seller = Figures(ca_cents=3_750_150, nb_ventes=360, nb_articles=600, prospects=1200, entries=30)
    days = {f"{period}-{n:02}": day for n in range(1, DAYS + 1)}
    sellers = {f"usr_{store:03}_{n:02}": seller for n in range(SELLERS)}
    total = Figures(*(value * DAYS for value in day.as_tuple()))
    return {
        "_id": f"month:{store}:{period}",
        "gerant_id": "usr_bench",
        "kind": "store_month",
        "period": period,
        "store_id": f"sto_{store:03}",
        **total.as_fields(),
        "days": shape(days),
        "sellers": shape(sellers),
    }


async def timed_ms(action: Callable[[], Any]) -> float:
    """The median time of ROUNDS runs of `action`, in milliseconds."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def measure(
    collection: AsyncIOMotorCollection[dict[str, Any]], shape: Shape
) -> tuple[float, float]:
    """Milliseconds to read the chain-year and to replace one month, in `shape`."""
    documents = [month(s, m, shape) for s in range(STORES) for m in range(1, MONTHS + 1)]
    await collection.insert_many(documents)
    await collection.create_index([("gerant_id", 1), ("kind", 1), ("period", 1)])
    query = {"gerant_id": "usr_bench", "kind": "store_month"}
    read = await timed_ms(lambda: collection.find(query).to_list(None))
    one = documents[0]
    write = await timed_ms(lambda: collection.replace_one({"_id": one["_id"]}, one))
    return read, write


async def report_async() -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="rpai-month-maps-") as folder:
        with embedded_server(Path(folder)) as url:
            client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(url)
            try:
                database = client["month_maps"]
                for name, shape in SHAPES.items():
                    read, write = await measure(database[name], shape)
                    rows.append(f"| {name} | {read:.0f} | {write:.1f} |")
            finally:
                client.close()
    count = STORES * MONTHS
    return "\n".join(
        [
            f"Month maps on the embedded database: {count} month rollups ({STORES} stores by "
            f"{MONTHS} months, {DAYS} days and {SELLERS} sellers a month), median of {ROUNDS}.",
            "",
            "| maps kept as | read every month, ms | replace one month, ms |",
            "| --- | ---: | ---: |",
            *rows,
            "",
            f"Fields of each figure: {', '.join(FIGURE_FIELDS)}.",
        ]
    )


def report() -> str:
    return asyncio.run(report_async())


if __name__ == "__main__":
    print(report())  # noqa: T201 - the benchmark's output
