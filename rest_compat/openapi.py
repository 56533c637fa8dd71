"""The OpenAPI document as integrators read it: validation errors are 400, never 422."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from rest_compat.responses import VALIDATION_ERROR


def openapi_without_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema with its default 422 responses replaced by our documented 400."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path in schema["paths"].values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None:
                responses.setdefault("400", VALIDATION_ERROR)
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    app.openapi_schema = schema
    return schema
