"""The one page type of every paginated list, and the one opaque cursor codec behind it."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from contract import messages
from contract.errors import BadRequest

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 50  # a REST page's size when `limit` is left out
MAX_CURSOR = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of `items`; `end_cursor` asks for the next one when `has_next_page`.

    `cursors` holds each item's own position (the cursor to resume right after it), in order.
    """

    items: list[T]
    has_next_page: bool
    end_cursor: str | None
    cursors: list[str]


def encode_cursor(key: Sequence[str]) -> str:
    """An opaque position: an item's sort key as base64 JSON."""
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The sort key of `size` strings a cursor holds; anything else is a 400."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):  # bad base64, UTF-8 or JSON alike
        raise BadRequest(messages.INVALID_CURSOR) from None
    if not (isinstance(key, list) and len(key) == size and all(isinstance(k, str) for k in key)):
        raise BadRequest(messages.INVALID_CURSOR)
    return key


def newest_first_after(cursor: str, time_field: str) -> dict[str, Any]:
    """The condition for items after a cursor in a newest-first list sorted on (`time_field`,
    id) descending, whose cursors hold the item's time (ISO 8601) and id."""
    time_text, item_id = decode_cursor(cursor, 2)
    try:
        time = datetime.fromisoformat(time_text)
    except ValueError:
        raise BadRequest(messages.INVALID_CURSOR) from None
    return {"$or": [{time_field: {"$lt": time}}, {time_field: time, "_id": {"$lt": item_id}}]}


def newest_first_key(time: datetime, item_id: str) -> tuple[str, str]:
    """The sort key of an item in a newest-first list (see `newest_first_after`)."""
    return time.isoformat(), item_id


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadRequest(messages.PAGE_SIZE_RANGE.format(maximum=MAX_PAGE))


def page_of(found: list[T], first: int, key_of: Callable[[T], Sequence[str]]) -> Page[T]:
    """The page of `found`, read with one item more than `first` to tell whether more follow."""
    items = found[:first]
    cursors = [encode_cursor(key_of(item)) for item in items]
    return Page(
        items=items,
        has_next_page=len(found) > first,
        end_cursor=cursors[-1] if cursors else None,
        cursors=cursors,
    )
