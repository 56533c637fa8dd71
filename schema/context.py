"""The GraphQL context: the request and the caller, authenticated lazily by the shared code."""

from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from resolvers.actor import Actor
from resolvers.auth import authenticate


class Context(BaseContext):
    def __init__(self) -> None:
        super().__init__()
        self._actor: Actor | None = None

    async def actor(self) -> Actor:
        """The API key's principal; raises UNAUTHENTICATED like REST's 401."""
        if self._actor is None:
            assert self.request is not None
            self._actor = await authenticate(
                x_api_key=self.request.headers.get("x-api-key"),
                authorization=self.request.headers.get("authorization"),
            )
            self.request.state.actor = self._actor
        return self._actor


Info = StrawberryInfo[Context, None]


async def get_context() -> Context:
    return Context()
