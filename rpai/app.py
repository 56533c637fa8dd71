"""The ASGI application: REST under /api/integrations, GraphQL at /graphql, pages and probes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from edge.authentication import RECHECK_SECONDS, Authenticate
from edge.body_limit import BodyLimit
from edge.database_budget import DatabaseBudget
from edge.idempotency import Idempotency
from edge.key_expiry import KeyExpiryWarning
from edge.no_sniff import NoSniff
from edge.observability import Observability
from edge.paths import GRAPHQL_PATH, INTEGRATIONS_PREFIX
from edge.rate_limits import RateLimitGuard
from infra.audit_buffer import AuditBuffer
from infra.background import periodically, running
from infra.cost_buckets import CostBuckets, shared_tally
from infra.event_log import EventLog
from infra.holdings import Holdings, shared_holdings
from infra.idempotency_store import IdempotencyStore
from infra.introspection_prices import IntrospectionPrices
from infra.key_directory import KeyDirectory
from infra.key_usage import KeyUsageRecorder
from infra.login_limits import LoginLimits
from infra.mail import SmtpServer
from infra.persisted_queries import PersistedQueries
from infra.principal_slots import SharedSlots
from infra.public_addresses import EndpointUrlPolicy
from infra.rate_limits import RateLimits
from infra.read_slots import ReadSlots
from infra.rechecks import Rechecks
from infra.services import Services
from infra.tokens import TokenSigner
from infra.webhook_schedule import parse_retry_schedule
from infra.webhook_sender import WebhookSender
from resolvers.api_key_expiry import record_expiring_keys
from resolvers.invitation_outbox import invitation_outbox
from resolvers.kpi.feed import KpiFeed
from resolvers.kpi.import_worker import ImportPolicy, import_worker
from resolvers.kpi.projector import fold_pending
from resolvers.mail_composers import COMPOSERS
from resolvers.mail_outbox import mail_outbox
from resolvers.webhook_delivery import DeliveryPolicy, webhook_delivery
from rest_compat import ROUTERS
from rest_compat.errors import install_error_handlers
from rest_compat.openapi import integrations_openapi, operation_id
from rpai.database import connected, database_url
from rpai.pages import graphiql_page, install_pages
from rpai.settings import Settings, get_settings, jwt_secret, public_url
from schema import graphql_router

DESCRIPTION = """Integrations API of Retail Performer AI: stores, staff and daily KPIs pushed by
point-of-sale systems, ERPs and payroll software. Authenticate with an API key in `X-API-Key`
(or `Authorization: Bearer sk_live_…`)."""
VERSION = "1.1.0"


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {
        "model": Readiness,
        "description": "The database does not answer",
        "content": {"application/json": {"example": {"status": "unavailable"}}},
    }
}


def build_services(settings: Settings) -> Services:
    """The process services of one app instance, configured from the settings."""
    return Services(
        signer=TokenSigner(
            secret=jwt_secret(settings), ttl=timedelta(minutes=settings.jwt_ttl_minutes)
        ),
        keys=KeyDirectory(ttl=settings.key_cache_seconds),
        key_usage=KeyUsageRecorder(),
        rate_limits=RateLimits.build(
            per_key=settings.rate_limit_per_minute,
            auth_failures=settings.auth_failures_per_minute,
            anonymous=settings.anonymous_rate_limit_per_minute,
        ),
        audit=AuditBuffer(retention=timedelta(days=settings.audit_retention_days)),
        events=event_log(settings),
        login_limits=LoginLimits.build(
            per_address=settings.login_failures_per_address,
            per_email_and_address=settings.login_failures_per_email_and_address,
            window_seconds=settings.login_failure_window_seconds,
        ),
        reset_limits=LoginLimits.for_requests(
            per_address=settings.password_resets_per_address,
            per_email=settings.password_resets_per_email,
            window_seconds=settings.password_reset_window_seconds,
        ),
        idempotency=IdempotencyStore(ttl=timedelta(hours=settings.idempotency_ttl_hours)),
        persisted_queries=PersistedQueries(),
        query_costs=CostBuckets(
            capacity=settings.graphql_max_cost,
            restore_rate=settings.graphql_cost_restore_rate,
            tally=shared_tally("cost"),
        ),
        anonymous_query_costs=CostBuckets(
            capacity=settings.anonymous_graphql_max_cost,
            restore_rate=settings.anonymous_graphql_cost_restore_rate,
            tally=shared_tally("anonymous_cost"),
        ),
        introspection_prices=IntrospectionPrices(),
        read_slots=ReadSlots(
            per_caller=settings.summary_queries_per_caller,
            max_waiting=settings.summary_queries_waiting,
            share=settings.summary_time_share,
            burst=settings.summary_time_burst_seconds,
            # Waiting counts against the request's database budget: at most half of it.
            max_wait=settings.db_timeout_seconds / 2,
            tally=shared_tally("summary_time"),
            in_flight=Holdings(shared_holdings("summary_reads")),
        ),
        rechecks=Rechecks(interval=RECHECK_SECONDS),
        connection_slots=SharedSlots(
            limit=settings.subscription_connections_per_principal,
            holdings=Holdings(shared_holdings("connections")),
        ),
        subscription_slots=SharedSlots(
            limit=settings.subscriptions_per_principal,
            holdings=Holdings(shared_holdings("subscriptions")),
        ),
        webhook_urls=EndpointUrlPolicy(allow_private=settings.webhook_allow_private),
    )


def webhook_sender(settings: Settings) -> WebhookSender:
    return WebhookSender(
        timeout_seconds=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private,
    )


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        schedule=parse_retry_schedule(settings.webhook_retry_schedule),
        lease=timedelta(seconds=settings.webhook_lease_seconds),
        disable_after=timedelta(days=settings.webhook_disable_after_days),
    )


def event_log(settings: Settings) -> EventLog:
    return EventLog(retention=timedelta(days=settings.event_retention_days))


def import_policy(settings: Settings) -> ImportPolicy:
    return ImportPolicy(
        events=event_log(settings),
        share=settings.import_share,
        lease=timedelta(seconds=settings.import_lease_seconds),
    )


def smtp_server(settings: Settings) -> SmtpServer | None:
    if settings.smtp_host is None:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=password,
        starttls=settings.smtp_starttls,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its lifespan connects to (or starts) the database given by `settings`."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build_services(settings)
        kpi_feed = KpiFeed()
        with database_url(settings) as url:
            async with (
                connected(url, settings) as database,
                running(services.keys.follow),
                running(kpi_feed.follow),
                periodically(settings.kpi_fold_seconds, fold_pending),
                running(
                    partial(import_worker, import_policy(settings), settings.import_poll_seconds)
                ),
                periodically(settings.key_usage_flush_seconds, services.key_usage.flush),
                periodically(settings.rate_limit_sync_seconds, services.rate_limits.sync),
                periodically(settings.rate_limit_sync_seconds, services.login_limits.sync),
                periodically(settings.rate_limit_sync_seconds, services.reset_limits.sync),
                periodically(settings.rate_limit_sync_seconds, services.query_costs.sync),
                periodically(settings.rate_limit_sync_seconds, services.anonymous_query_costs.sync),
                periodically(settings.rate_limit_sync_seconds, services.read_slots.sync),
                periodically(settings.rate_limit_sync_seconds, services.connection_slots.sync),
                periodically(settings.rate_limit_sync_seconds, services.subscription_slots.sync),
                periodically(settings.audit_flush_seconds, services.audit.flush),
                periodically(
                    settings.key_expiry_check_seconds,
                    partial(record_expiring_keys, services.events),
                ),
                invitation_outbox(
                    smtp_server(settings),
                    public_url=public_url(settings),
                    from_address=settings.smtp_from,
                    poll_seconds=settings.outbox_poll_seconds,
                ),
                mail_outbox(
                    smtp_server(settings),
                    composers=COMPOSERS,
                    public_url=public_url(settings),
                    from_address=settings.smtp_from,
                    poll_seconds=settings.outbox_poll_seconds,
                ),
                webhook_delivery(
                    webhook_sender(settings),
                    delivery_policy(settings),
                    poll_seconds=settings.webhook_poll_seconds,
                ),
            ):
                app.state.services = services
                app.state.kpi_feed = kpi_feed
                app.state.database = database
                yield

    app = FastAPI(
        title="Retail Performer AI — Integrations API",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # Served by rpai/pages from the installed package's files: FastAPI's load a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(graphql_router(graphiql_page), prefix=GRAPHQL_PATH, include_in_schema=False)
    for router in ROUTERS:
        app.include_router(router, prefix=INTEGRATIONS_PREFIX)
    install_pages(app)
    install_error_handlers(app)
    app.openapi = lambda: integrations_openapi(app)  # type: ignore[method-assign]
    # Added innermost first: authentication gives every request its context before anything
    # else, metrics and audit see every answer (429s included), rate limits are enforced before
    # any other work, and the database budget bounds what the request's operation does (the
    # idempotency record is settled outside it: a request that ran out of time is retried).
    app.add_middleware(KeyExpiryWarning, warning_days=settings.key_expiry_warning_days)
    app.add_middleware(DatabaseBudget, seconds=settings.db_timeout_seconds)
    app.add_middleware(Idempotency)
    app.add_middleware(BodyLimit, upload_max_bytes=settings.import_max_bytes)
    app.add_middleware(RateLimitGuard)
    app.add_middleware(Observability)
    app.add_middleware(Authenticate)
    # Outermost: refusals made by the other middlewares carry it too.
    app.add_middleware(NoSniff)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def check_health() -> Health:
        return Health(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="The database answers",
        response_model=Readiness,
        responses=NOT_READY,
    )
    async def check_readiness() -> JSONResponse:
        try:
            await app.state.database.command("ping")
        except PyMongoError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app
