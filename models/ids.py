"""Opaque string identifiers shared by every document."""

from bson import ObjectId


def new_id(kind: str) -> str:
    """A new opaque id such as `store_65f1…`; sorts by creation time; clients must not parse it."""
    return f"{kind}_{ObjectId()}"


def is_id(kind: str, value: str) -> bool:
    """Whether `value` has the shape of the ids `new_id(kind)` makes."""
    prefix, _, rest = value.partition("_")
    return prefix == kind and len(rest) == 24 and ObjectId.is_valid(rest)
