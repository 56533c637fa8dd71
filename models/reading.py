"""Reading documents this service wrote itself, without validating them again."""

from typing import Any, TypeVar

from beanie import Document

DocumentT = TypeVar("DocumentT", bound=Document)


async def find_trusted(
    model: type[DocumentT],
    query: dict[str, Any],
    sort: list[tuple[str, int]],
    limit: int = 0,
    hint: str | None = None,
) -> list[DocumentT]:
    """The documents matching `query` (the first `limit` of them, all if 0; on the index named
    `hint` if given), built without validation: they were validated when written, and parsing
    them again costs more than the whole query on a hot read endpoint. Values keep their stored
    types (an enum field holds its string): use them for reading out."""
    cursor = model.get_motor_collection().find(query).sort(sort).limit(limit)
    if hint is not None:
        cursor = cursor.hint(hint)
    return [model.model_construct(id=raw.pop("_id"), **raw) async for raw in cursor]


async def find_one_trusted(model: type[DocumentT], query: dict[str, Any]) -> DocumentT | None:
    """The first document matching `query`, built without validation (see `find_trusted`)."""
    raw = await model.get_motor_collection().find_one(query)
    return None if raw is None else model.model_construct(id=raw.pop("_id"), **raw)
