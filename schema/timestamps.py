"""GraphQL's DateTime: written as the REST contract writes timestamps, read as ISO 8601."""

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError, StringValueNode, ValueNode

from models.clock import timestamp_text

NOT_A_DATETIME = "DateTime is an ISO 8601 date and time, such as 2024-01-15T10:00:00Z"


def serialize(value: datetime) -> str:
    return timestamp_text(value)


def parse_value(value: Any) -> datetime:
    """Any ISO 8601 date and time (`Z`, an offset, or none for UTC; fractions of a second)."""
    if not isinstance(value, str):
        raise GraphQLError(NOT_A_DATETIME)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise GraphQLError(NOT_A_DATETIME) from None


def parse_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> datetime:
    if not isinstance(node, StringValueNode):
        raise GraphQLError(NOT_A_DATETIME)
    return parse_value(node.value)


DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="A moment, written in UTC to the second as the REST API writes it "
    "(`2024-01-15T10:00:00Z`); read as any ISO 8601 date and time (an offset is converted, "
    "none means UTC).",
    serialize=serialize,
    parse_value=parse_value,
    parse_literal=parse_literal,
)
