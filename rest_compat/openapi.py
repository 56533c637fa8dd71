"""The OpenAPI document as integrators read it: 400 instead of 422, and what every call shares
(rate limits, outages, idempotency, body size)."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from contract import messages
from edge.paths import INTEGRATIONS_PREFIX
from rest_compat import ROUTERS
from rest_compat.auth import SECURITY_SCHEMES
from rest_compat.responses import VALIDATION_ERROR, documented_error
from rest_compat.webhook_events import WEBHOOKS

JSON = "application/json"
WRITE_METHODS = frozenset({"post", "put", "delete"})

EVERY_CALL = {
    "429": documented_error(
        "Rate limit exceeded (per key, or failed authentications per IP); see Retry-After",
        messages.RATE_LIMITED.format(limit=600),
    ),
    "503": documented_error(
        "The database is unreachable or too slow; retry after Retry-After seconds",
        messages.SERVICE_UNAVAILABLE,
    ),
}
INVALID_IDEMPOTENCY_KEY = documented_error(
    "Invalid input, or an Idempotency-Key of the wrong length",
    messages.IDEMPOTENCY_KEY_LENGTH.format(maximum=255),
)
WRITES = {
    "409": documented_error(
        "A request with the same Idempotency-Key is still running",
        messages.IDEMPOTENCY_KEY_IN_PROGRESS,
    ),
    "422": documented_error(
        "The Idempotency-Key was used for a different request", messages.IDEMPOTENCY_KEY_REUSED
    ),
}
TOO_LARGE = {"413": documented_error("Request body over 1 MiB", messages.BODY_TOO_LARGE)}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1 to 255 characters. Repeating a request with the same key within 24 h "
    "replays its first answer (with `Idempotent-Replayed: true`) instead of running it again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def operation_id(route: APIRoute) -> str:
    """The operation's id for generated clients: its function's name in camelCase
    (`list_stores` → `listStores`), short and stable."""
    first, *others = route.name.split("_")
    return first + "".join(part.title() for part in others)


def without_null(parameter: dict[str, Any]) -> None:
    """A query or path parameter is absent or a string: it is never null."""
    schema = parameter.get("schema", {})
    alternatives = [item for item in schema.get("anyOf", []) if item != {"type": "null"}]
    if "anyOf" in schema:
        del schema["anyOf"]
        if len(alternatives) == 1:
            schema.update(alternatives[0])
        else:
            schema["anyOf"] = alternatives
    if schema.get("default", ...) is None:
        del schema["default"]


def keep_null_examples(schema: dict[str, Any]) -> None:
    """The routes' own JSON success examples, as written: FastAPI drops their null fields."""
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            for status in (200, 202):
                content = route.responses.get(status, {}).get("content", {})
                if JSON not in content:
                    continue
                for method in route.methods or ():
                    path = INTEGRATIONS_PREFIX + route.path_format
                    answer = schema["paths"][path][method.lower()]["responses"][str(status)]
                    answer["content"][JSON]["example"] = content[JSON]["example"]


def integrations_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, its default 422 replaced by our 400, with the shared responses added."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        webhooks=WEBHOOKS.routes,
    )
    for operations in schema["webhooks"].values():
        for operation in operations.values():
            # FastAPI's own answers of a route: a receiver answers any 2xx (or fails).
            for status in ("200", "422"):
                operation["responses"].pop(status, None)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for parameter in operation.get("parameters", []):
                without_null(parameter)
            if responses.pop("422", None) is not None:
                responses.setdefault("400", VALIDATION_ERROR)
            if not path.startswith(INTEGRATIONS_PREFIX):
                continue
            operation["security"] = [{name: []} for name in SECURITY_SCHEMES]
            responses.update(EVERY_CALL)
            if method in WRITE_METHODS:
                responses.update(WRITES)
                responses.setdefault("400", INVALID_IDEMPOTENCY_KEY)
                operation.setdefault("parameters", []).append(IDEMPOTENCY_HEADER)
            if "requestBody" in operation:
                responses.setdefault("413", TOO_LARGE["413"])  # an upload states its own
    keep_null_examples(schema)
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    app.openapi_schema = schema
    return schema
