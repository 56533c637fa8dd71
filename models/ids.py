"""Opaque string identifiers shared by every document."""

from bson import ObjectId


def new_id(kind: str) -> str:
    """A new opaque id such as `store_65f1…`; sorts by creation time; clients must not parse it."""
    return f"{kind}_{ObjectId()}"
