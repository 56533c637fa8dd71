"""The request context: who is calling and through which transport, decided once per request at
the edge (what happens during the request goes to its outcome, edge/outcome.py)."""

from contextvars import ContextVar
from dataclasses import dataclass

from starlette.types import Scope

from contract import messages
from contract.actor import Actor
from contract.errors import AppError, Unauthenticated
from edge.paths import Transport
from infra.services import Services

SCOPE_KEY = "rpai.context"

# For log records: every line logged while a request runs names its request id.
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


@dataclass(frozen=True)
class RequestContext:
    """Built by the one authentication step, and never changed (a websocket's caller is the one
    its `connection_init` names, decided once there)."""

    request_id: str
    transport: Transport
    client_ip: str | None
    actor: Actor | None = None  # None: anonymous
    auth_error: AppError | None = None  # why the credentials sent were not accepted

    @property
    def principal_id(self) -> str | None:
        """`key:<id>` or `user:<id>`: who is calling, stable across credentials of one key."""
        if self.actor is None:
            return None
        if self.actor.api_key is not None:
            return f"key:{self.actor.api_key.id}"
        return f"user:{self.actor.user.id}" if self.actor.user else None

    def require_actor(self) -> Actor:
        """The caller, or the error that refuses an anonymous or badly authenticated request."""
        if self.actor is not None:
            return self.actor
        raise self.auth_error or Unauthenticated(messages.MISSING_API_KEY, "missing_key")


def request_context(scope: Scope) -> RequestContext:
    context: RequestContext = scope[SCOPE_KEY]
    return context


def find_request_context(scope: Scope) -> RequestContext | None:
    """The context, if the request got one (a failure can come before it is built)."""
    found: RequestContext | None = scope.get(SCOPE_KEY)
    return found


def set_request_context(scope: Scope, context: RequestContext) -> None:
    scope[SCOPE_KEY] = context


def services(scope: Scope) -> Services:
    """The process services the app's lifespan built."""
    built: Services = scope["app"].state.services
    return built
