"""REST authentication: the shared key check as one plain dependency.

Its OpenAPI security schemes are declared by rest_compat/openapi.py, not by FastAPI security
classes, which would add two dependency resolutions to every request.
"""

from typing import Annotated

from fastapi import Depends, Request

from resolvers.actor import Actor
from resolvers.auth import authenticate

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


async def current_actor(request: Request) -> Actor:
    """Authenticate the request's API key; remembers the actor for response headers."""
    headers = request.headers
    actor = await authenticate(
        x_api_key=headers.get("x-api-key"), authorization=headers.get("authorization")
    )
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
