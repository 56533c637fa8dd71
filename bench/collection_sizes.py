"""What the collections hold a day at the reference load of docs/operations.md: 50,000 stores of
15 sellers, each syncing its day once (with an `Idempotency-Key`) and making OTHER_CALLS more
API calls. Documents are the app's own, written on the embedded database by a store's syncs
of every day of a month through the REST API and the projector's fold; their sizes are
`bson.encode`'s. A webhook delivery (the workers need a public endpoint) is a model instance
after one failed attempt. Index bytes are the BSON size of each index's key values plus a
record id, before WiredTiger's prefix compression: an upper bound.
Not a test. Run: `python -m bench.collection_sizes`.
"""

import asyncio
import statistics
import tempfile
from pathlib import Path
from typing import Any

import bson
import httpx
from asgi_lifespan import LifespanManager

from models import Role, Store, User, WebhookDelivery
from models.clock import utcnow
from models.webhook_delivery import DeliveryAttemptRecord
from resolvers.api_keys import ApiKeyCreate, create_api_key
from resolvers.gerants import GerantCreate, create_gerant
from resolvers.kpi.projector import fold_pending
from rpai.app import create_app
from rpai.settings import Settings

STORES, SELLERS = 50_000, 15
OTHER_CALLS = 5  # API calls a store makes a day besides its sync (the doc's assumption)
DAYS = [f"2025-03-{day:02}" for day in range(1, 32)]  # a month: its rollup at its largest
RECORD_ID = 8  # bytes an index entry spends on the record it points to
PER_DAY = {  # documents a day at the reference load, by (collection, kind)
    ("kpi_entries", None): STORES * SELLERS,
    ("kpi_rollups", "store_day"): STORES,
    ("kpi_rollups", "store_month"): STORES / 30,  # one new a store a month, then updated
    ("events", "kpi.synced"): STORES,  # one a store-day, besides the other changes
    ("audit_records", None): STORES * (1 + OTHER_CALLS),
    ("idempotency_records", None): STORES,
    ("webhook_deliveries", None): STORES,  # per subscribed endpoint
}


def entry(seller: User, n: int) -> dict[str, Any]:
    """A seller's day as tills send it."""
    return {
        "seller_id": seller.id,
        "ca_journalier": 1250.5 + n,
        "nb_ventes": 12,
        "nb_articles": 20,
        "prospects": 40,
    }


async def written(settings: Settings) -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    """The documents of one store's synced month, by (collection, kind or event type)."""
    app = create_app(settings)
    async with LifespanManager(app):
        gerant = await create_gerant(
            data=GerantCreate(name="Gérant", email="gerant@example.com", password="x" * 16)
        )
        store = Store(
            gerant_id=gerant.id, name="Lyon Part-Dieu", name_key="lyon part-dieu", location="Lyon"
        )
        await store.insert()
        sellers = []
        for n in range(SELLERS):
            email = f"vendeur{n}@example.com"
            seller = User(
                gerant_id=gerant.id,
                role=Role.SELLER,
                name=f"Vendeuse {n}",
                email=email,
                email_key=email,
                store_id=store.id,
            )
            sellers.append(await seller.insert())
        spec = ApiKeyCreate(name="Caisse", permissions=["kpi:write", "kpi:read", "stores:read"])
        key = (await create_api_key(gerant=gerant, spec=spec)).key
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rpai") as http:
            for day in DAYS:
                body = {
                    "store_id": store.id,
                    "date": day,
                    "kpi_entries": [entry(s, n) for n, s in enumerate(sellers)],
                }
                sent = {"X-API-Key": key, "Idempotency-Key": f"sync-{store.id}-{day}"}
                answer = await http.post("/api/integrations/kpi/sync", json=body, headers=sent)
                assert answer.status_code == 200, answer.text
        while await fold_pending():
            pass
    app = create_app(settings)  # the first one flushed its audit buffer on the way out
    async with LifespanManager(app):
        database = app.state.database
        found: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
        for name in PER_DAY:
            collection = name[0]
            async for document in database[collection].find():
                kind = document.get("kind") or document.get("type")
                found.setdefault((collection, kind), []).append(document)
            found[(collection, "indexes")] = await database[collection].list_indexes().to_list()
    return found


def delivery() -> dict[str, Any]:
    """A webhook delivery after a failed first attempt."""
    attempt = DeliveryAttemptRecord(
        attempt=1, at=utcnow(), status_code=503, duration_ms=180, error="HTTP 503"
    )
    made = WebhookDelivery(
        gerant_id="user_6b13bb98cbce8ef8f3154074",
        endpoint_id="whe_6b13bb98cbce8ef8f3154075",
        event_id="evt_6b13bb98cbce8ef8f3154076",
        event_type="kpi.synced",
        attempts=[attempt],
        lease_owner=None,
        expires_at=utcnow(),
    )
    dumped: dict[str, Any] = made.model_dump(by_alias=True)
    return dumped


def index_bytes(documents: list[dict[str, Any]], indexes: list[dict[str, Any]]) -> float:
    """Mean bytes a document adds to the collection's indexes (upper bound, see above)."""
    total = 0
    for index in indexes:
        for document in documents:
            keys = {field: document.get(field) for field in index["key"]}
            total += len(bson.encode(keys)) + RECORD_ID
    return total / len(documents)


def megabytes(size: float) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


def report(found: dict[tuple[str, str | None], list[dict[str, Any]]]) -> list[str]:
    lines = ["| collection | document | per day | bytes a day | indexes a day |"]
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for (collection, kind), per_day in PER_DAY.items():
        documents = found.get((collection, kind)) or (
            [delivery()] if collection == "webhook_deliveries" else []
        )
        if not documents:
            lines.append(f"| {collection} {kind or ''} | none written | | | |")
            continue
        size = statistics.mean(len(bson.encode(d)) for d in documents)
        indexes = [i for i in found[(collection, "indexes")] if i["name"] != "_id_"]
        indexed = index_bytes(documents, [{"key": {"_id": 1}}, *indexes])
        lines.append(
            f"| `{collection}` {kind or ''} | {size:,.0f} B | {per_day:,.0f} | "
            f"{megabytes(size * per_day)} | {megabytes(indexed * per_day)} |"
        )
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rpai-sizes-") as folder:
        settings = Settings(data_dir=Path(folder), metrics_port=0, db_timeout_seconds=60)
        print("\n".join(report(asyncio.run(written(settings)))))  # noqa: T201 - the output


if __name__ == "__main__":
    main()
