"""Metrics for every request and an audit record for every API call, both off the request path."""

import time
from functools import lru_cache

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import ApiKey
from resolvers.actor import Actor
from resolvers.audit import audit_log
from resolvers.metrics import AUTH_FAILURES, LATENCY, REQUESTS
from rpai.edge import API_PREFIXES, client_ip, is_api, state

MAX_HEADER_TEXT = 255


def route_of(scope: Scope) -> str:
    """The matched route template (`/api/integrations/users/{user_id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        return "unmatched"
    for prefix in API_PREFIXES:
        if scope["path"].startswith(prefix) and not str(path).startswith(prefix):
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
            route = route_of(scope)
            request_counter(route, scope["method"], status).inc()
            latency_histogram(route).observe(latency)
            reason = state(scope).get("auth_failure")
            if reason:
                AUTH_FAILURES.labels(reason).inc()
            if is_api(scope):
                self.audit(scope, status, latency)

    @staticmethod
    def audit(scope: Scope, status: int, latency: float) -> None:
        request_state = state(scope)
        actor: Actor | None = request_state.get("actor")
        key: ApiKey | None = actor.api_key if actor else request_state.get("refused_key")
        tenant: str | None = request_state.get("tenant")
        headers = Headers(scope=scope)
        audit_log.record(
            gerant_id=actor.gerant_id if actor else key.gerant_id if key else tenant,
            key_id=key.id if key else None,
            key_prefix=key.prefix if key else None,
            user_id=actor.user.id if actor and actor.user else None,
            method=scope["method"],
            path=scope["path"][:MAX_HEADER_TEXT],
            operation=request_state.get("operation") or route_of(scope),
            status=status,
            latency_ms=round(latency * 1000, 3),
            request_id=request_state.get("request_id", "-"),
            client_ip=client_ip(scope),
            user_agent=(headers.get("user-agent") or "")[:MAX_HEADER_TEXT] or None,
            idempotency_key=(headers.get("idempotency-key") or "")[:MAX_HEADER_TEXT] or None,
            auth_failure=request_state.get("auth_failure"),
        )
