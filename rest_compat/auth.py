"""REST authentication: the caller the edge identified, as one plain dependency.

Its OpenAPI security schemes are declared by rest_compat/openapi.py, not by FastAPI security
classes, which would add two dependency resolutions to every request.
"""

from typing import Annotated

from fastapi import Depends, Request

from contract.actor import Actor
from edge.context import request_context

SECURITY_SCHEMES = {
    "ApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Integration API key (`sk_live_…`). Recommended header.",
    },
    "BearerApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "Alias: `Authorization: Bearer sk_live_…` carries an API key, not a JWT.",
    },
}


def current_actor(request: Request) -> Actor:
    """The request's API key as an actor, or the 401 that refuses it."""
    return request_context(request.scope).require_actor()


CurrentActor = Annotated[Actor, Depends(current_actor)]
