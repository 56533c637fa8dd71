"""The GraphQL context: the request and the caller, authenticated lazily by the shared code."""

from dataclasses import dataclass, field

from fastapi import Request
from strawberry.types import Info as StrawberryInfo

from resolvers.actor import Actor
from resolvers.auth import authenticate


@dataclass
class Context:
    request: Request
    _actor: Actor | None = field(default=None, init=False)

    async def actor(self) -> Actor:
        """The API key's principal; raises UNAUTHENTICATED like REST's 401."""
        if self._actor is None:
            self._actor = await authenticate(
                x_api_key=self.request.headers.get("x-api-key"),
                authorization=self.request.headers.get("authorization"),
            )
            self.request.state.actor = self._actor
        return self._actor


Info = StrawberryInfo[Context, None]


async def get_context(request: Request) -> Context:
    return Context(request=request)
