"""Values shown once (a new API key, a session token): the response notes where they are, so
that no stored copy of it keeps them (a replay of it says, in their place, why it cannot show
them)."""

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types import Info

from edge.outcome import SecretNote, request_outcome


class Secret(FieldExtension):
    """Marks a field as a secret; `replay_message(source)` is what a replay says instead."""

    def __init__(self, replay_message: Callable[[Any], str]) -> None:
        super().__init__()
        self.replay_message = replay_message

    def _note(self, source: Any, info: Info) -> None:
        note = SecretNote(
            path=tuple(info.path.as_list()), replay_message=self.replay_message(source)
        )
        request_outcome(info.context.scope).secrets.append(note)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        value = next_(source, info, **kwargs)
        self._note(source, info)
        return value

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        value = await next_(source, info, **kwargs)
        self._note(source, info)
        return value
