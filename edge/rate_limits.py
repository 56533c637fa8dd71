"""Rate limits, enforced before any work: per caller, and per client IP for failing credentials.

A caller whose credentials were accepted is counted against its own limit only: it is never
held back by what others at its address do. A request without accepted credentials is counted
against its address (a smaller limit than a key's), and, when its key or session token was
refused, against the address's failures too; each is counted when it starts, so a parallel
flood is bounded as a sequential one, and past a limit gets 429 instead of its answer.

Pages, assets and probes (Transport.OTHER) are not counted: they are static files and process
checks, served without a database read, and a limit there would let one noisy neighbour behind
a shared address keep its colleagues from the login page (or a load balancer from its probe)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import messages
from contract.errors import TooManyRequests, Unauthenticated
from edge.context import request_context, services
from edge.paths import Transport
from edge.refusals import send_refusal
from infra.metrics import RATE_LIMITED
from infra.rate_limits import WindowState


def limit_headers(window: WindowState) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(window.limit).encode()),
        (b"ratelimit-remaining", str(max(window.remaining, 0)).encode()),
        (b"ratelimit-reset", str(window.reset).encode()),
    ]


class RateLimitGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or request_context(scope).transport is Transport.OTHER:
            await self.app(scope, receive, send)
            return
        context = request_context(scope)
        limits = services(scope).rate_limits
        ip = context.client_ip or "unknown"
        if isinstance(context.auth_error, Unauthenticated):
            failures = limits.auth_failures.hit(ip)
            if failures.exceeded:
                RATE_LIMITED.labels("auth_failures").inc()
                error = TooManyRequests(messages.AUTH_FAILURES_LIMITED, retry_after=failures.reset)
                await send_refusal(scope, send, error, limit_headers(failures))
                return
        principal = context.principal_id
        window = limits.per_key.hit(principal) if principal else limits.anonymous.hit(ip)
        if window.exceeded:
            RATE_LIMITED.labels("per_key" if principal else "anonymous").inc()
            message = messages.RATE_LIMITED if principal else messages.ANONYMOUS_RATE_LIMITED
            error = TooManyRequests(message.format(limit=window.limit), retry_after=window.reset)
            await send_refusal(scope, send, error, limit_headers(window))
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *limit_headers(window)]
            await send(message)

        await self.app(scope, receive, send_with_limits)
