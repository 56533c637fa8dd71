"""Idempotency-Key on API writes: a repeated request gets the first one's response, replayed.

Covers POST, PUT and DELETE under /api/integrations and every POST /graphql that carries the
header. For GraphQL that includes queries: replaying one returns the data it read the first
time and changes nothing, so it is harmless. A request without the header passes straight
through, at no cost.
"""

import json
import logging
import tempfile
from typing import IO

from pymongo.errors import PyMongoError
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract import messages
from contract.errors import (
    AppError,
    BadRequest,
    Conflict,
    PersistedQueryNotFound,
    SecretNotReplayed,
    ServiceUnavailable,
    UnprocessableEntity,
    as_app_error,
)
from edge.context import request_context, services
from edge.outcome import SecretNote, request_outcome
from edge.paths import Transport
from edge.refusals import graphql_extensions, rest_body, send_refusal
from infra.idempotency_store import Busy, Claim, Fingerprint, IdempotencyStore
from infra.metrics import IDEMPOTENT_REPLAYS
from models.idempotency_record import StoredResponse
from models.operations import Operation, operation

logger = logging.getLogger(__name__)

HEADER = "idempotency-key"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
REPLAYED = (b"idempotent-replayed", b"true")
MAX_KEY_LENGTH = 255
SPOOL_IN_MEMORY_BYTES = 1024 * 1024  # a larger body (an import's file) waits on disk
RELAY_BYTES = 64 * 1024  # the spooled body is given to the app in parts this large
Spool = IO[bytes]
# Answers that say nothing of the request itself: refused credentials or rights, and "try
# again later". They are never kept, so no caller can fix another's outcome in advance.
NOT_KEPT_STATUSES = frozenset({401, 403, 408, 429})
RETRY_STATUS = 408
RETRY_CODES = frozenset({PersistedQueryNotFound.code})
BUSY_ERRORS = {
    Busy.IN_PROGRESS: Conflict(messages.IDEMPOTENCY_KEY_IN_PROGRESS),
    Busy.REUSED: UnprocessableEntity(messages.IDEMPOTENCY_KEY_REUSED),
}


def is_final(status: int) -> bool:
    """Whether a response is the outcome to replay: anything but server errors, refusals and
    'retry later'.

    Other client errors are kept, as Stripe does: the same request would get the same answer,
    and the spec tells integrators not to retry them.
    """
    return status < 500 and status not in NOT_KEPT_STATUSES


def applies(scope: Scope) -> bool:
    """Whether the request may carry an Idempotency-Key: integration writes and POST /graphql,
    to a route that exists (an unknown route or method keeps its plain 404 or 405)."""
    transport = request_context(scope).transport
    method: str = scope["method"]
    if transport is Transport.GRAPHQL:
        return method == "POST"
    if transport is not Transport.REST or method not in WRITE_METHODS:
        return False
    probe = {**scope, "path_params": {}}
    return any(route.matches(probe)[0] == Match.FULL for route in scope["app"].router.routes)


def record_id(*, tenant_id: str, principal_id: str, key: str) -> str:
    """A key belongs to one caller (API key or user session) of one tenant: its record's id,
    unique across every API process. Another caller's request with the same key is its own."""
    return f"{tenant_id}:{principal_id}:{key}"


def without_secrets(body: bytes, secrets: list[SecretNote]) -> bytes:
    """The copy of a GraphQL answer to keep when it showed secrets: `data` null, and for each
    secret an error at its path saying why a replay cannot show it.

    The schema declares keys and tokens non-null, so a replay cannot answer them null; GraphQL
    answers a field it cannot give with an error and a null above it, and `data: null` is that
    null wherever the nearest nullable parent is. The first answer's own errors are kept.
    """
    if not secrets:
        return body
    document = json.loads(body)
    refusals = [
        {
            "message": secret.replay_message,
            "path": list(secret.path),
            "extensions": graphql_extensions(SecretNotReplayed(secret.replay_message)),
        }
        for secret in secrets
    ]
    kept = {**document, "data": None, "errors": [*(document.get("errors") or []), *refusals]}
    return json.dumps(kept).encode()


def rest_without_secrets(secrets: list[SecretNote]) -> StoredResponse:
    """The copy of a REST answer to keep when it showed a secret (a webhook signing secret):
    410 with why a replay cannot show it, since a REST body has no place for a partial answer."""
    refusal = SecretNotReplayed(secrets[0].replay_message)
    return StoredResponse(
        status=refusal.status,
        content_type="application/json",
        body=json.dumps(rest_body(refusal)).encode(),
    )


def target(scope: Scope) -> str:
    """The path, with the query string if any: what the request addresses."""
    query: bytes = scope.get("query_string", b"")
    return f"{scope['path']}?{query.decode('latin-1')}" if query else str(scope["path"])


def outcome_status(scope: Scope, status: int, body: bytes) -> int:
    """The status that decides whether to keep a response; GraphQL puts it in its errors.

    GraphQL answers 200 even when an operation failed on the server; the worst
    `extensions.status` of its errors then counts (an error without one counts as a 500). A
    persisted query's unknown hash ran nothing and asks for the text, sent next with the same
    Idempotency-Key: it counts as "retry", so that answer is not kept.
    """
    if request_context(scope).transport is not Transport.GRAPHQL or status != 200:
        return status
    try:
        errors = json.loads(body).get("errors") or []
        if any(error.get("extensions", {}).get("code") in RETRY_CODES for error in errors):
            return RETRY_STATUS
        return max(
            (int(error.get("extensions", {}).get("status", 500)) for error in errors), default=200
        )
    except (ValueError, TypeError, AttributeError):
        return 500


async def read_body(receive: Receive, spool: Spool, fingerprint: Fingerprint) -> bool:
    """Copy the whole request body into `spool` (in memory up to a MiB, else on disk: an
    import's file is never held whole), fingerprinting it; False if the client went away."""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        part = message.get("body", b"")
        fingerprint.update(part)
        spool.write(part)
        if not message.get("more_body", False):
            spool.seek(0)
            return True


def spooled() -> Spool:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)


async def replay(response: StoredResponse, send: Send) -> None:
    headers = [(b"content-length", str(len(response.body)).encode()), REPLAYED]
    if response.content_type:
        headers.append((b"content-type", response.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def settle(
    store: IdempotencyStore,
    claimed: Claim,
    response: StoredResponse | None,
    attempted: Operation,
) -> bool:
    """Keep the response to replay, or with None release the key; never fails the request.
    False if the database could not be told."""
    try:
        if response is None:
            await store.release(claimed, created=attempted.count > 0)
        else:
            await store.complete(claimed, response)
    except PyMongoError:
        # The record stays "in progress" and is taken over once the lock times out.
        logger.warning("idempotency record %s not settled", claimed.record_id, exc_info=True)
        return False
    return True


def kept_copy(scope: Scope, start: Message, content: bytes) -> StoredResponse | None:
    """The response to keep for replays, or None if it is not final (or cannot be kept)."""
    if not is_final(outcome_status(scope, start["status"], content)):
        return None
    secrets = request_outcome(scope).secrets
    if secrets and request_context(scope).transport is Transport.REST:
        return rest_without_secrets(secrets)
    try:
        body = without_secrets(content, secrets)
    except (ValueError, TypeError, AttributeError):
        logger.warning("response to %s not kept: not a JSON object", scope["path"], exc_info=True)
        return None
    content_type = Headers(raw=start.get("headers", [])).get("content-type")
    return StoredResponse(status=start["status"], content_type=content_type, body=body)


def unavailable(exc: PyMongoError) -> AppError:
    """The answer when the idempotency store cannot be reached: retry later, nothing was done."""
    known = as_app_error(exc)
    if known is None:
        raise exc
    return known


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            error = BadRequest(messages.IDEMPOTENCY_KEY_LENGTH.format(maximum=MAX_KEY_LENGTH))
            await send_refusal(scope, send, error)
            return
        context = request_context(scope)
        if context.actor is None or context.principal_id is None:  # the app answers 401
            await self.app(scope, receive, send)
            return
        with spooled() as body:
            made = Fingerprint(method=scope["method"], path=target(scope))
            if await read_body(receive, body, made):
                await self.answer(
                    scope,
                    record_id(
                        tenant_id=context.actor.gerant_id,
                        principal_id=context.principal_id,
                        key=key,
                    ),
                    made.hexdigest(),
                    body,
                    receive,
                    send,
                )

    async def answer(
        self,
        scope: Scope,
        record: str,
        fingerprint: str,
        body: Spool,
        receive: Receive,
        send: Send,
    ) -> None:
        """Replay the key's answer, refuse the request, or run it and keep its answer."""
        store = services(scope).idempotency
        try:
            claimed = await store.claim(record_id=record, fingerprint=fingerprint)
        except PyMongoError as exc:
            await send_refusal(scope, send, unavailable(exc))
            return
        if isinstance(claimed, Busy):
            await send_refusal(scope, send, BUSY_ERRORS[claimed])
            return
        if isinstance(claimed, StoredResponse):
            IDEMPOTENT_REPLAYS.inc()
            await replay(claimed, send)
            return
        await self.run(store, claimed, scope, body, receive, send)

    async def run(
        self,
        store: IdempotencyStore,
        claimed: Claim,
        scope: Scope,
        body: Spool,
        receive: Receive,
        send: Send,
    ) -> None:
        """Run the request on its spooled body; settle the key before the client sees the answer.

        Settling first means a client that got the response and sends the request again always
        gets the replay, never a 409.
        """
        body_sent = False
        start: Message | None = None
        chunks: list[bytes] = []

        async def receive_buffered() -> Message:
            nonlocal body_sent
            if body_sent:
                return await receive()
            part = body.read(RELAY_BYTES)
            body_sent = len(part) < RELAY_BYTES
            return {"type": "http.request", "body": part, "more_body": not body_sent}

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            with operation(claimed.operation_id) as attempted:
                await self.app(scope, receive_buffered, capture)
        except Exception:  # a cancelled request keeps its record until the lock times out
            await settle(store, claimed, None, attempted)
            raise
        if start is None:  # the client went away; nothing to keep
            await settle(store, claimed, None, attempted)
            return
        content = b"".join(chunks)
        kept = kept_copy(scope, start, content)
        if not await settle(store, claimed, kept, attempted) and kept is not None:
            # Unrecorded, the answer could be followed by a retry that runs again and shows
            # another outcome (a new key instead of the one sent): the client retries now, and
            # that retry finds what this request did (see models/operations.py).
            await send_refusal(scope, send, ServiceUnavailable(messages.SERVICE_UNAVAILABLE))
            return
        await send(start)
        await send({"type": "http.response.body", "body": content})
