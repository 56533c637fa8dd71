"""Values shown once (a new API key, a session token): the response notes where they are, so
that no stored copy of it keeps them (the idempotency store replays it with null there)."""

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types import Info

from edge.context import record_secret


def _note(info: Info) -> None:
    record_secret(info.context.scope, tuple(info.path.as_list()))


class Secret(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        _note(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        _note(info)
        return await next_(source, info, **kwargs)
