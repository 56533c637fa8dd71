"""Running the app in the test process, with its lifespan, behind an HTTP client."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from infra.api_key_format import hash_key
from infra.services import Services
from models import ApiKey
from rpai.app import create_app
from rpai.cli import uvicorn_options
from rpai.settings import Settings


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app built from `settings` and give an HTTP client on it; its database is
    dropped afterwards."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
        client = app.state.database.client
        # A transaction the app could not end (the server too busy to answer its fence) stays
        # open until it expires: end them first (SecantusDB's drop can wait on their locks).
        await client.admin.command({"killAllSessions": []})
        await client.drop_database(app.state.database.name)


def app_of(http: httpx.AsyncClient) -> FastAPI:
    """The app an HTTP client from `serving` talks to."""
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


async def key_known(http: httpx.AsyncClient, key: str | None = None) -> None:
    """Wait until the app's key directory is loaded and holds `key` (it follows the database
    asynchronously)."""
    keys = services_of(http).keys
    for _ in range(500):
        if keys.complete and (key is None or keys.get(hash_key(key)) is not None):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the key directory never received the key")


async def key_synced(http: httpx.AsyncClient, key: str) -> None:
    """Wait until the app's key directory shows the stored state of `key`, after a change
    written straight to the database (as another process would)."""
    keys = services_of(http).keys
    for _ in range(500):
        stored = await ApiKey.find_one({"key_hash": hash_key(key)})
        known = keys.get(hash_key(key))
        if keys.complete and stored is not None and known is not None and known == stored:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the key directory never caught up with the database")


def services_of(http: httpx.AsyncClient) -> Services:
    """The process services of the app an HTTP client from `serving` talks to."""
    built: Services = app_of(http).state.services
    return built


@asynccontextmanager
async def listening(settings: Settings) -> AsyncIterator[tuple[str, FastAPI]]:
    """Run the app built from `settings` behind a real uvicorn server on a free port of the
    loopback (websockets need one), in this event loop, configured as `rpai serve` runs it;
    its database is dropped afterwards."""
    app = create_app(settings)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = uvicorn_options(settings, "127.0.0.1", port)
    config = uvicorn.Config(app, **options, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await app.state.database.client.drop_database(app.state.database.name)
        server.should_exit = True
        await task
