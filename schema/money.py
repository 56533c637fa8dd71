"""The Money scalar: euros to the cent, read from a number or a decimal string, written as a
two-decimal string (`"1250.50"`), so what a client reads back it can send again."""

from decimal import Decimal
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, GraphQLError, IntValueNode, StringValueNode, ValueNode

from resolvers.kpi.figures import money_text

Money = NewType("Money", Decimal)

NOT_MONEY = 'Money is a number or a decimal string, such as 1250.5 or "1250.50"'


def serialize(value: Decimal) -> str:
    return money_text(Decimal(value))


def parse_value(value: Any) -> Any:
    """The amount as sent: the rules decide what is a valid amount, as they do on REST."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphQLError(NOT_MONEY)
    return value


def parse_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Any:
    """A literal in the query text, read exactly (a float literal is the decimal it spells)."""
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return Decimal(node.value)
    if isinstance(node, StringValueNode):
        return node.value
    raise GraphQLError(NOT_MONEY)


MONEY_SCALAR = strawberry.scalar(
    name="Money",
    description="Euros to the cent. Read as a number or a decimal string (`1250.5`, "
    '`"1250.50"`; float noise within 1e-9 of a cent is ignored, finer amounts are refused); '
    'written as a string with exactly two decimals (`"1250.50"`).',
    serialize=serialize,
    parse_value=parse_value,
    parse_literal=parse_literal,
)
