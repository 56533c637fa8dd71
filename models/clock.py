"""The one source of the current time, and the UTC datetime type every document uses."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

OUT_OF_RANGE = "Datetime out of range once converted to UTC"


def utcnow() -> datetime:
    """Current time in UTC, truncated to milliseconds as MongoDB stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime (drivers may return naive UTC datetimes); one that
    leaves the calendar once in UTC (`0001-01-01T00:00:00+14:00`) is a ValueError."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def timestamp_text(value: datetime) -> str:
    """`2024-01-15T10:00:00Z`: the contract's form of a timestamp (UTC, to the second), the one
    both transports write."""
    return as_utc(value).strftime(TIMESTAMP_FORMAT)


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
