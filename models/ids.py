"""Opaque string identifiers shared by every document."""

from uuid import uuid4


def new_id(kind: str) -> str:
    """A new opaque id such as `store_0f3c…`; clients must not parse it."""
    return f"{kind}_{uuid4().hex}"
