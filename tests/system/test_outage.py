"""The database going away, slow, and back: quick 503s meanwhile, then recovery by itself."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from motor.motor_asyncio import AsyncIOMotorClient
from secantus import SecantusDBServer

from contract import messages
from rpai.app import create_app
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key

DB_TIMEOUT_SECONDS = 1.0
# Measured: 1.5 timeouts when down (a first attempt on a dead pooled connection, then server
# selection), 1 timeout when slow (4 before the client bounded whole operations with timeoutMS).
MAX_SECONDS_TO_503 = 8  # a bound that proves no hang, loose enough for a loaded CI
# How long the slow server holds each command: well past any of the client's timeouts.
SLOW_COMMAND_MS = 3000
MAX_SECONDS_TO_RECOVER = 10.0
STORE = {"name": "Lyon", "location": "69001 Lyon"}
STORES_QUERY = {"query": "{ stores { id name } }"}


class Database:
    """SecantusDB on a fixed port and storage directory, so that a restart finds both again."""

    def __init__(self, storage: Path) -> None:
        self.port = free_port()
        self.storage = storage
        self.server: SecantusDBServer | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.server = SecantusDBServer(
            host="127.0.0.1", port=self.port, storage_path=str(self.storage)
        )
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path)
    db.start()
    yield db
    db.stop()


@pytest.fixture
async def http(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The app on `database` with a 1 s database timeout; any exception escaping it fails."""
    app = create_app(
        settings.model_copy(
            update={
                "mongodb_url": f"{database.url}outage",
                "db_timeout_seconds": DB_TIMEOUT_SECONDS,
            }
        )
    )
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = await call
    return response, time.monotonic() - start


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.json() == {"detail": messages.SERVICE_UNAVAILABLE}
    assert response.headers["retry-after"] == "5"


@asynccontextmanager
async def slow(database: Database, command: str) -> AsyncIterator[None]:
    """Make the server take SLOW_COMMAND_MS over every `command` while the block runs."""
    client: AsyncIOMotorClient[dict[str, Any]] = AsyncIOMotorClient(database.url)
    admin = client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": "alwaysOn",
            "data": {
                "failCommands": [command],
                "blockConnection": True,
                "blockTimeMS": SLOW_COMMAND_MS,
            },
        }
    )
    try:
        yield
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        client.close()


async def test_while_down_every_route_answers_503_quickly_then_recovers(
    http: httpx.AsyncClient, database: Database
) -> None:
    gerant = await make_gerant()
    warm, cold = await make_key(gerant), await make_key(gerant)
    created = await http.post("/api/integrations/stores", json=STORE, headers={"X-API-Key": warm})
    assert created.status_code == 200

    database.stop()
    calls = {
        "list (cached key)": http.get("/api/integrations/stores", headers={"X-API-Key": warm}),
        "create (cached key)": http.post(
            "/api/integrations/stores", json=STORE, headers={"X-API-Key": warm}
        ),
        "create with Idempotency-Key": http.post(
            "/api/integrations/stores",
            json=STORE,
            headers={"X-API-Key": warm, "Idempotency-Key": "outage-1"},
        ),
        "key lookup": http.get("/api/integrations/me", headers={"X-API-Key": cold}),
        "graphql": http.post("/graphql", json=STORES_QUERY, headers={"X-API-Key": warm}),
        "readyz": http.get("/readyz"),
    }
    results = dict(zip(calls, await asyncio.gather(*map(timed, calls.values())), strict=True))

    for name, (response, elapsed) in results.items():
        assert elapsed < MAX_SECONDS_TO_503, (name, elapsed)
        if name == "graphql":
            [error] = response.json()["errors"]
            extensions = error["extensions"]
            assert (extensions["code"], extensions["status"]) == ("SERVICE_UNAVAILABLE", 503)
            assert error["message"] == messages.SERVICE_UNAVAILABLE
        elif name == "readyz":
            assert response.status_code == 503
        else:
            assert_unavailable(response)

    database.start()
    deadline = time.monotonic() + MAX_SECONDS_TO_RECOVER
    while (await http.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the app did not reconnect"
        await asyncio.sleep(0.1)
    listed = await http.get("/api/integrations/stores", headers={"X-API-Key": cold})
    assert [store["name"] for store in listed.json()["stores"]] == ["Lyon"]
    again = await http.post("/graphql", json=STORES_QUERY, headers={"X-API-Key": warm})
    assert [store["name"] for store in again.json()["data"]["stores"]] == ["Lyon"]


async def test_a_slow_database_is_a_503_within_the_timeout(
    http: httpx.AsyncClient, database: Database
) -> None:
    key = await make_key(await make_gerant())
    async with slow(database, "find"):
        response, elapsed = await timed(
            http.get("/api/integrations/stores", headers={"X-API-Key": key})
        )
    assert elapsed < MAX_SECONDS_TO_503, elapsed
    assert_unavailable(response)
    listed = await http.get("/api/integrations/stores", headers={"X-API-Key": key})
    assert listed.status_code == 200
