"""The one page type of every paginated list, and the one opaque cursor codec behind it."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from resolvers import messages
from resolvers.errors import BadRequest

T = TypeVar("T")

MAX_PAGE = 100
MAX_CURSOR = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of `items`; `end_cursor` asks for the next one when `has_next_page`."""

    items: list[T]
    has_next_page: bool
    end_cursor: str | None


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


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadRequest(messages.PAGE_SIZE_RANGE.format(maximum=MAX_PAGE))


def page_of(found: list[T], first: int, key_of: Callable[[T], Sequence[str]]) -> Page[T]:
    """The page of `found`, read with one item more than `first` to tell whether more follow."""
    items = found[:first]
    end = encode_cursor(key_of(items[-1])) if items else None
    return Page(items=items, has_next_page=len(found) > first, end_cursor=end)
