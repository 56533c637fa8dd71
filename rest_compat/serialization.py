"""How REST renders shared value types, and how the OpenAPI document describes them."""

from datetime import datetime
from typing import Annotated

from pydantic import WithJsonSchema

from models.clock import timestamp_text

# Timestamps and days are strings on the wire; their formats let generated clients parse them.
Timestamp = Annotated[
    str,
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2024-01-15T10:00:00Z"]}),
]
Day = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date", "examples": ["2024-01-15"]})
]


def iso_utc(value: datetime | None) -> str | None:
    """`2024-01-15T10:00:00Z`, the timestamp form the spec shows."""
    if value is None:
        return None
    return timestamp_text(value)


def timestamp(value: datetime) -> str:
    """A timestamp that is always set, in the spec's form."""
    return timestamp_text(value)
