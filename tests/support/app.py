"""Running the app in the test process, with its lifespan, behind an HTTP client."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from infra.services import Services
from rpai.app import create_app
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
        await app.state.database.client.drop_database(app.state.database.name)


def app_of(http: httpx.AsyncClient) -> FastAPI:
    """The app an HTTP client from `serving` talks to."""
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    app = transport.app
    assert isinstance(app, FastAPI)
    return app


def services_of(http: httpx.AsyncClient) -> Services:
    """The process services of the app an HTTP client from `serving` talks to."""
    built: Services = app_of(http).state.services
    return built
