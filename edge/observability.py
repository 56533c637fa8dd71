"""Metrics and an access-log line for every request (its path, never its query string), and for
every API call an audit record and its key's use stamp."""

import logging
import time
from functools import lru_cache

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.context import RequestContext, request_context, services
from edge.outcome import RequestOutcome, request_outcome
from edge.paths import GRAPHQL_PATH, INTEGRATIONS_PREFIX, Transport
from infra.metrics import AUTH_FAILURES, LATENCY, REQUESTS
from infra.services import Services

access_log = logging.getLogger("rpai.access")

MAX_HEADER_TEXT = 255
API_PREFIXES = {Transport.REST: INTEGRATIONS_PREFIX, Transport.GRAPHQL: GRAPHQL_PATH}


def route_of(scope: Scope, transport: Transport) -> str:
    """The matched route template (`/api/integrations/users/{user_id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        return "unmatched"
    prefix = API_PREFIXES.get(transport)
    if prefix is not None and not str(path).startswith(prefix):
        return prefix + str(path)
    return str(path)


@lru_cache(maxsize=4096)
def request_counter(route: str, method: str, status: int) -> Counter:
    """The labelled child, looked up once: `labels()` costs more than the increment itself."""
    return REQUESTS.labels(route, method, str(status))


@lru_cache(maxsize=1024)
def latency_histogram(route: str) -> Histogram:
    return LATENCY.labels(route)


class Observability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            latency = time.perf_counter() - started
            context = request_context(scope)
            outcome = request_outcome(scope)
            route = route_of(scope, context.transport)
            request_counter(route, scope["method"], status).inc()
            latency_histogram(route).observe(latency)
            access_log.info(
                "%s %s %d %.1f ms", scope["method"], scope["path"], status, latency * 1000
            )
            if outcome.refusal is not None:
                AUTH_FAILURES.labels(outcome.refusal.reason).inc()
            if context.transport is not Transport.OTHER:
                record_call(services(scope), scope, context, outcome, status, latency)


def record_call(
    built: Services,
    scope: Scope,
    context: RequestContext,
    outcome: RequestOutcome,
    status: int,
    latency: float,
) -> None:
    """Queue the call's audit record (a refused key's call in its tenant's trail), and stamp its
    key as used."""
    actor = context.actor
    key = actor.api_key if actor else outcome.refused_key
    if actor is not None and actor.api_key is not None:
        built.key_usage.touch(actor.api_key.id)
    headers = Headers(scope=scope)
    built.audit.record(
        gerant_id=actor.gerant_id if actor else (key.gerant_id if key else None),
        key_id=key.id if key else None,
        key_prefix=key.prefix if key else None,
        user_id=actor.user.id if actor and actor.user else None,
        method=scope["method"],
        path=scope["path"][:MAX_HEADER_TEXT],
        operation=outcome.operation or route_of(scope, context.transport),
        status=status,
        latency_ms=round(latency * 1000, 3),
        request_id=context.request_id,
        client_ip=context.client_ip,
        user_agent=(headers.get("user-agent") or "")[:MAX_HEADER_TEXT] or None,
        idempotency_key=(headers.get("idempotency-key") or "")[:MAX_HEADER_TEXT] or None,
        auth_failure=outcome.refusal.reason if outcome.refusal else None,
    )
