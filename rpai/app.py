"""The ASGI application: REST under /api/integrations, GraphQL at /graphql, health probes."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo.errors import PyMongoError

from resolvers.audit import audit_log
from resolvers.key_cache import key_cache
from resolvers.key_usage import key_usage
from resolvers.rate_limits import rate_limits
from resolvers.tokens import TokenSigner
from rest_compat import PREFIX, ROUTERS
from rest_compat.errors import install_error_handlers
from rest_compat.openapi import integrations_openapi
from rpai.background import periodically
from rpai.body_limit import BodyLimit
from rpai.database import connected, database_url
from rpai.guard import RateLimitGuard
from rpai.headers import KeyExpiryWarning
from rpai.idempotency import Idempotency
from rpai.invitation_page import install_invitation_page
from rpai.mail import invitation_outbox
from rpai.observability import Observability
from rpai.request_id import RequestId
from rpai.settings import Settings, get_settings, jwt_secret
from schema import graphql_router

logger = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).parent / "console"

DESCRIPTION = """Integrations API of Retail Performer AI: stores, staff and daily KPIs pushed by
point-of-sale systems, ERPs and payroll software. Authenticate with an API key in `X-API-Key`
(or `Authorization: Bearer sk_live_…`)."""


def configure_process(settings: Settings) -> None:
    """Apply the settings to the process-local caches, limits and buffers."""
    key_cache.ttl = settings.key_cache_seconds
    rate_limits.configure(
        per_key=settings.rate_limit_per_minute, auth_failures=settings.auth_failures_per_minute
    )
    audit_log.retention = timedelta(days=settings.audit_retention_days)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan connects to (or starts) the database given by `settings`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.signer = TokenSigner(
            secret=jwt_secret(settings), ttl=timedelta(minutes=settings.jwt_ttl_minutes)
        )
        configure_process(settings)
        with database_url(settings) as url:
            async with (
                connected(url, settings) as database,
                periodically(settings.key_usage_flush_seconds, key_usage.flush),
                periodically(settings.rate_limit_sync_seconds, rate_limits.sync),
                periodically(settings.audit_flush_seconds, audit_log.flush),
                invitation_outbox(settings),
            ):
                app.state.database = database
                yield

    app = FastAPI(
        title="Retail Performer AI — Integrations API",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX)
    app.include_router(graphql_router(), prefix="/graphql", include_in_schema=False)
    app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")
    install_invitation_page(app)
    install_error_handlers(app)
    app.openapi = lambda: integrations_openapi(app)  # type: ignore[method-assign]
    # Added innermost first: the request id wraps everything, metrics and audit see every
    # answer (429s included), and rate limits are enforced before any other work.
    app.add_middleware(KeyExpiryWarning, warning_days=settings.key_expiry_warning_days)
    app.add_middleware(Idempotency, ttl=timedelta(hours=settings.idempotency_ttl_hours))
    app.add_middleware(BodyLimit)
    app.add_middleware(RateLimitGuard)
    app.add_middleware(Observability)
    app.add_middleware(RequestId)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz", tags=["health"], summary="The database answers")
    async def readyz() -> JSONResponse:
        try:
            await app.state.database.command("ping")
        except PyMongoError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app
