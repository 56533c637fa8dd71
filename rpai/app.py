"""The ASGI application: REST under /api/integrations, GraphQL at /graphql, health probes."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pymongo.errors import PyMongoError

from resolvers.key_usage import key_usage
from resolvers.tokens import TokenSigner
from rest_compat import router as integrations_router
from rest_compat.errors import install_error_handlers
from rest_compat.openapi import openapi_without_422
from rpai.background import periodically
from rpai.database import connected, database_url
from rpai.headers import KeyExpiryWarning
from rpai.settings import Settings, get_settings, jwt_secret
from schema import graphql_router

logger = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).parent / "console"

DESCRIPTION = """Integrations API of Retail Performer AI: stores, staff and daily KPIs pushed by
point-of-sale systems, ERPs and payroll software. Authenticate with an API key in `X-API-Key`
(or `Authorization: Bearer sk_live_…`)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan connects to (or starts) the database given by `settings`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.signer = TokenSigner(
            secret=jwt_secret(settings), ttl=timedelta(minutes=settings.jwt_ttl_minutes)
        )
        with database_url(settings) as url:
            async with (
                connected(url, settings) as database,
                periodically(settings.key_usage_flush_seconds, key_usage.flush),
            ):
                app.state.database = database
                yield

    app = FastAPI(
        title="Retail Performer AI — Integrations API",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.include_router(integrations_router, prefix="/api/integrations")
    app.include_router(graphql_router(), prefix="/graphql", include_in_schema=False)
    app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")
    install_error_handlers(app)
    app.openapi = lambda: openapi_without_422(app)  # type: ignore[method-assign]
    app.add_middleware(KeyExpiryWarning, warning_days=settings.key_expiry_warning_days)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The database answers")
    async def readyz() -> JSONResponse:
        try:
            await app.state.database.command("ping")
        except PyMongoError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app
