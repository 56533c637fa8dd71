"""The one authentication step: every request gets its RequestContext here, and nowhere else.

An API key is read from `X-API-Key`, or from `Authorization: Bearer sk_live_…`; on GraphQL any
other Bearer value is a session token. The request goes on whatever the outcome: the transports
refuse it (401) only if the operation needs a caller, so public operations stay reachable.

A GraphQL websocket (graphql-transport-ws) is authenticated once, by the same rules, at its
`connection_init`: from that payload, which carries the same headers as an object (browsers
cannot set headers on a websocket), or else from its upgrade request's headers. Its
subscriptions check those credentials again while they run, so a revoked key or an ended session
closes them.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from uuid import uuid4

from pymongo.errors import PyMongoError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import messages
from contract.actor import Actor
from contract.credentials import actor_for_api_key, actor_for_session
from contract.errors import AppError, Unauthenticated, as_app_error
from edge.context import (
    RequestContext,
    current_request_id,
    request_context,
    services,
    set_request_context,
)
from edge.outcome import SCOPE_KEY as OUTCOME_KEY
from edge.outcome import RequestOutcome
from edge.paths import Transport, transport_of
from infra.api_key_format import KEY_PREFIX
from infra.services import Services

CREDENTIALS_KEY = "rpai.credentials"  # the websocket's credentials, for checking them again
# How often a websocket's subscriptions check that its credentials still hold: a revoked key,
# an ended session or a suspended user closes them within this time.
RECHECK_SECONDS = 1.0
CREDENTIAL_HEADERS = ("x-api-key", "authorization")
REQUEST_ID_HEADER = "x-request-id"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
BEARER_SCHEME = "bearer"


def bearer_value(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer <value>` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != BEARER_SCHEME or not value.strip():
        return None
    return value.strip()


async def identify(
    headers: Headers, transport: Transport, built: Services, *, again: bool = False
) -> tuple[Actor | None, AppError | None]:
    """The caller the request's credentials stand for, or why they were not accepted; `again`
    for a websocket's credentials checked again (sharing the reads of its principal's tick)."""
    api_key = (headers.get("x-api-key") or "").strip()
    bearer = bearer_value(headers.get("authorization"))
    try:
        if api_key or (bearer and (transport is Transport.REST or bearer.startswith(KEY_PREFIX))):
            return await actor_for_api_key(api_key or bearer or "", keys=built.keys), None
        if bearer:
            rechecks = built.rechecks if again else None
            return await actor_for_session(bearer, signer=built.signer, rechecks=rechecks), None
    except Unauthenticated as refused:
        return None, refused
    except PyMongoError as exc:
        known = as_app_error(exc)
        if known is None:
            raise
        return None, known
    return None, None


def credential_headers(params: Mapping[str, object]) -> Headers:
    """The credentials of a `connection_init` payload (`{"X-API-Key": …}` or
    `{"Authorization": "Bearer …"}`, names in any case) as the headers a request sends."""
    found = {
        name.lower(): value
        for name, value in params.items()
        if isinstance(name, str) and name.lower() in CREDENTIAL_HEADERS and isinstance(value, str)
    }
    return Headers(headers=found)


async def authenticate_connection(scope: Scope, params: Mapping[str, object]) -> Actor | None:
    """Authenticate a GraphQL websocket from its `connection_init` payload, by the rules of
    every request (without credentials there, those of its upgrade request stand): the
    connection's context gets its caller here, once. None if no caller was accepted."""
    headers = credential_headers(params)
    if not any(name in headers for name in CREDENTIAL_HEADERS):
        headers = Headers(scope=scope)
    scope[CREDENTIALS_KEY] = headers
    built = services(scope)
    actor, auth_error = await identify(headers, Transport.GRAPHQL, built)
    if isinstance(auth_error, Unauthenticated):
        # Counted with the address's refused requests: past the limit, its HTTP requests get
        # 429 whether the guesses came over HTTP or websockets.
        built.rate_limits.auth_failures.hit(client_ip(scope) or "unknown")
    set_request_context(scope, replace(request_context(scope), actor=actor, auth_error=auth_error))
    return actor


async def reauthenticate(scope: Scope) -> Actor:
    """The websocket's caller, its credentials checked again now; raises the refusal (a
    deactivated or expired key, an ended session) as a request with them would get it. A key
    costs no database read (the key directory has it); a session reads its user once a tick
    for all the checks of that tick in the process."""
    headers = scope.get(CREDENTIALS_KEY) or Headers(scope=scope)
    actor, auth_error = await identify(headers, Transport.GRAPHQL, services(scope), again=True)
    if actor is None:
        raise auth_error or Unauthenticated(messages.MISSING_API_KEY, "missing_key")
    return actor


@dataclass(frozen=True)
class WebsocketCredentials:
    """A websocket's credentials, as its subscriptions check them again: every check of one
    principal falls on the same ticks, RECHECK_SECONDS apart."""

    scope: Scope
    principal: str  # the key's or the user's id

    def due_in(self) -> float:
        return services(self.scope).rechecks.due_in(self.principal)

    async def check(self) -> Actor:
        return await reauthenticate(self.scope)


def websocket_credentials(scope: Scope, actor: Actor) -> WebsocketCredentials:
    """The credentials `actor` was authenticated with on the websocket of `scope`."""
    principal = actor.key_id or (actor.user.id if actor.user else "")
    return WebsocketCredentials(scope=scope, principal=principal)


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class Authenticate:
    """Builds the request context (request id, transport, caller) and its empty outcome, and
    echoes the id as `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent_id = headers.get(REQUEST_ID_HEADER, "")
        request_id = sent_id if SANE_REQUEST_ID.fullmatch(sent_id) else uuid4().hex
        # Left set after the request: uvicorn runs each request in a task of its own, and
        # logs an escaping exception after this returns, in the same task.
        current_request_id.set(request_id)
        transport = transport_of(scope["path"])
        # A websocket's caller is decided at its connection_init (authenticate_connection).
        actor, auth_error = (
            (None, None)
            if transport is Transport.OTHER or scope["type"] == "websocket"
            else await identify(headers, transport, services(scope))
        )
        set_request_context(
            scope,
            RequestContext(
                request_id=request_id,
                transport=transport,
                client_ip=client_ip(scope),
                actor=actor,
                auth_error=auth_error,
            ),
        )
        scope[OUTCOME_KEY] = RequestOutcome()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)
