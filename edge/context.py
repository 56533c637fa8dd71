"""The request context: who is calling and what runs, decided once per request at the edge."""

from contextvars import ContextVar
from dataclasses import dataclass, replace

from starlette.types import Scope

from contract import messages
from contract.actor import Actor
from contract.errors import AppError, Unauthenticated
from edge.paths import Transport
from infra.services import Services
from models import ApiKey

SCOPE_KEY = "rpai.context"

# For log records: every line logged while a request runs names its request id.
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


@dataclass(frozen=True)
class SecretNote:
    """A value shown once in a response (a new API key, a session token): where it is, and what
    a replay of the response says in its place."""

    path: tuple[str | int, ...]
    replay_message: str


@dataclass(frozen=True)
class RequestContext:
    """Built by the one authentication step; later facts (operation, refusal) make a new one."""

    request_id: str
    transport: Transport
    client_ip: str | None
    actor: Actor | None = None  # None: anonymous
    auth_error: AppError | None = None  # why the credentials sent were not accepted
    operation: str | None = None
    refusal: Unauthenticated | None = None  # the credential error the request was refused for
    # The secrets the response shows once: the idempotency store keeps the response without them.
    secrets: tuple[SecretNote, ...] = ()

    @property
    def principal_id(self) -> str | None:
        """`key:<id>` or `user:<id>`: who is calling, stable across credentials of one key."""
        if self.actor is None:
            return None
        if self.actor.api_key is not None:
            return f"key:{self.actor.api_key.id}"
        return f"user:{self.actor.user.id}" if self.actor.user else None

    @property
    def refused_key(self) -> ApiKey | None:
        """The inactive or expired key a refused request was made with."""
        return self.refusal.api_key if self.refusal else None

    @property
    def tenant(self) -> str | None:
        if self.actor is not None:
            return self.actor.gerant_id
        key = self.refused_key
        return key.gerant_id if key else None

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


def record_operation(scope: Scope, operation: str) -> None:
    """Name the operation that runs (GraphQL), for the audit trail."""
    set_request_context(scope, replace(request_context(scope), operation=operation))


def record_refusal(scope: Scope, error: Unauthenticated) -> None:
    """Note that the request was refused for its credentials (metrics, audit, failure limit)."""
    set_request_context(scope, replace(request_context(scope), refusal=error))


def record_secret(scope: Scope, secret: SecretNote) -> None:
    """Note a secret the response body holds (GraphQL: at the field's response path)."""
    context = request_context(scope)
    set_request_context(scope, replace(context, secrets=(*context.secrets, secret)))


def services(scope: Scope) -> Services:
    """The process services the app's lifespan built."""
    built: Services = scope["app"].state.services
    return built
