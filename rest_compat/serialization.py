"""How REST renders shared value types."""

from datetime import datetime

from models.clock import as_utc


def iso_utc(value: datetime | None) -> str | None:
    """`2024-01-15T10:00:00Z`, the timestamp form the spec shows."""
    if value is None:
        return None
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
