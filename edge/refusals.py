"""Errors in the caller's transport shape: REST `{"detail"}`, GraphQL `errors[].extensions`.

The transports' own error mappings render through these too, so each shape is written once.
"""

import json
from typing import Any

from starlette.types import Scope, Send

from contract.errors import AppError, TooManyRequests
from edge.context import request_context
from edge.paths import Transport

RETRY_AFTER_SECONDS = 5
RETRY_AFTER = "retryAfter"  # the GraphQL extension saying it


def retry_after(error: AppError) -> int | None:
    """Seconds after which a retry may succeed: on 429 and 503 only."""
    if isinstance(error, TooManyRequests):
        return error.retry_after
    if error.status == 503:
        return RETRY_AFTER_SECONDS
    return None


def error_headers(error: AppError) -> dict[str, str] | None:
    """`Retry-After` on 429 and 503, so clients know when to try again."""
    seconds = retry_after(error)
    return None if seconds is None else {"Retry-After": str(seconds)}


def rest_body(error: AppError) -> dict[str, Any]:
    return {"detail": error.message}


def graphql_extensions(error: AppError) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": error.code, "status": error.status}
    seconds = retry_after(error)
    if seconds is not None:
        extensions[RETRY_AFTER] = seconds
    return extensions


def graphql_body(error: AppError) -> dict[str, Any]:
    """A whole GraphQL response carrying one error (for answers made outside execution)."""
    return {
        "data": None,
        "errors": [{"message": error.message, "extensions": graphql_extensions(error)}],
    }


async def send_refusal(
    scope: Scope, send: Send, error: AppError, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with `error` in the shape of the request's transport, without calling the app.

    GraphQL answers 200 with the status in `extensions.status`, as its other errors do.
    """
    if request_context(scope).transport is Transport.GRAPHQL:
        status, body = 200, graphql_body(error)
    else:
        status, body = error.status, rest_body(error)
    headers = [(b"content-type", b"application/json"), *(extra or [])]
    headers += [(k.lower().encode(), v.encode()) for k, v in (error_headers(error) or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
