"""REST authentication: the shared key check as a dependency, with OpenAPI security schemes."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from resolvers.actor import Actor
from resolvers.auth import authenticate

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKeyHeader",
    description="Integration API key (`sk_live_…`). Recommended header.",
)
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerApiKey",
    description="Alias: `Authorization: Bearer sk_live_…` carries an API key, not a JWT.",
)


async def current_actor(
    request: Request,
    x_api_key: Annotated[str | None, Security(api_key_header)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Actor:
    """Authenticate the request's API key; remembers the actor for response headers."""
    actor = await authenticate(
        x_api_key=x_api_key, authorization=request.headers.get("authorization")
    )
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
