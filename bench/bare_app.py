"""The bare-stack ceiling: the same database commands as the real endpoints, and nothing else.

No validation, authentication, business rules or middleware: documents are built in advance,
but a sync's upserts are the real sync's (the same filter, fields and new ids), as issue 23
compares them.
Run by bench/run.py with the same uvicorn settings as the real server.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bson import Decimal128, ObjectId
from fastapi import FastAPI, Request
from fastapi.responses import Response
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo import UpdateOne

URL = os.environ["MONGODB_URL"]
GERANT_ID = os.environ["BENCH_GERANT_ID"]
STORE_ID = os.environ["BENCH_STORE_ID"]
STORE_FIELDS = (
    "name",
    "location",
    "address",
    "phone",
    "opening_hours",
    "gerant_id",
    "active",
    "created_at",
    "external_id",
)
KEY = {
    "id": "key_bench",
    "name": "bench",
    "prefix": "sk_live_bench0",
    "permissions": ["stores:read", "stores:write", "users:write", "kpi:write"],
    "store_ids": None,
    "expires_at": None,
    "created_at": "2026-01-01T00:00:00Z",
    "last_used_at": None,
}
ENTRY = {
    "gerant_id": GERANT_ID,
    "store_id": STORE_ID,
    "ca_journalier": Decimal128("10.50"),
    "nb_ventes": 1,
    "nb_articles": 2,
    "prospects": 0,
    "source": "external_api",
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(URL, tz_aware=True)
    app.state.db = client.get_default_database()
    sellers = await app.state.db.users.distinct("_id", {"store_id": STORE_ID, "role": "seller"})
    app.state.sellers = sellers
    yield
    client.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/integrations/stores")
async def stores(request: Request) -> dict[str, Any]:
    found = await request.app.state.db.stores.find({"gerant_id": GERANT_ID}).to_list(None)
    return {"stores": [{"id": s.pop("_id"), **{k: s.get(k) for k in STORE_FIELDS}} for s in found]}


@app.get("/api/integrations/me")
async def me(request: Request) -> dict[str, Any]:
    gerant = await request.app.state.db.users.find_one({"_id": GERANT_ID})
    return {"key": KEY, "gerant": {"id": gerant["_id"], "name": gerant["name"]}}


@app.post("/api/integrations/kpi/sync")
async def sync(request: Request) -> Response:
    day = (await request.json())["date"]
    db = request.app.state.db
    await db.stores.find_one({"_id": STORE_ID})
    await db.users.distinct("_id", {"_id": {"$in": request.app.state.sellers}})
    now = datetime.now(UTC)
    fields = {**ENTRY, "timestamp": None, "updated_at": now}
    operations = [
        UpdateOne(
            {"gerant_id": GERANT_ID, "store_id": STORE_ID, "seller_id": seller, "date": day},
            {"$set": fields, "$setOnInsert": {"_id": f"kpi_{ObjectId()}", "created_at": now}},
            upsert=True,
        )
        for seller in request.app.state.sellers
    ]
    async with await db.client.start_session() as session, session.start_transaction():
        result = await db.kpi_entries.bulk_write(operations, ordered=False, session=session)
    return Response(
        f'{{"status":"success","entries_created":{result.upserted_count}}}',
        media_type="application/json",
    )
