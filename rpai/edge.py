"""What the edge middlewares share: which API a path belongs to, the client, the error bodies."""

import json
from typing import Any

from starlette.types import Scope, Send

from resolvers.errors import AppError
from rest_compat import PREFIX
from rest_compat.errors import error_headers
from schema.errors import graphql_error_body

INTEGRATIONS_PREFIX = PREFIX
GRAPHQL_PATH = "/graphql"
API_PREFIXES = (INTEGRATIONS_PREFIX, GRAPHQL_PATH)


def is_api(scope: Scope) -> bool:
    """Whether the request is an API call (REST integrations or GraphQL), as opposed to assets."""
    path: str = scope.get("path", "")
    return path.startswith(INTEGRATIONS_PREFIX) or path == GRAPHQL_PATH


def client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def state(scope: Scope) -> dict[str, Any]:
    """The per-request state dict that `request.state` reads and writes."""
    result: dict[str, Any] = scope.setdefault("state", {})
    return result


async def send_error(
    scope: Scope, send: Send, error: AppError, extra: list[tuple[bytes, bytes]]
) -> None:
    """Answer with `error` in the shape of the API the path belongs to, without calling the app."""
    if scope.get("path") == GRAPHQL_PATH:
        status, body = 200, graphql_error_body(error)
    else:
        status, body = error.status, {"detail": error.message}
    headers = [(b"content-type", b"application/json"), *extra]
    headers += [(k.lower().encode(), v.encode()) for k, v in (error_headers(error) or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
