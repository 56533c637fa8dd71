"""What an app run by `tests.support.servers.in_process_client` holds: its services, its key
directory."""

import asyncio

import httpx
from fastapi import FastAPI

from infra.api_key_format import hash_key
from infra.services import Services
from models import ApiKey


def app_of(http: httpx.AsyncClient) -> FastAPI:
    """The app an HTTP client from `in_process_client` talks to."""
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
    """The process services of the app an HTTP client from `in_process_client` talks to."""
    built: Services = app_of(http).state.services
    return built
