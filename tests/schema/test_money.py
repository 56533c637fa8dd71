"""The Money scalar on its own (no server): written to the cent, read as sent for the rules."""

from decimal import Decimal
from typing import Any

import pytest
from graphql import GraphQLError
from graphql import parse_value as literal

from schema.money import NOT_MONEY, parse_literal, parse_value, serialize


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        ("1250.5", "1250.50"),
        ("0", "0.00"),
        ("0.005", "0.01"),
        ("2.675", "2.68"),
        ("1E+3", "1000.00"),
    ],
)
def test_written_with_two_decimals_half_up(amount: str, written: str) -> None:
    assert serialize(Decimal(amount)) == written


@pytest.mark.parametrize("sent", [1250, 1250.5, "1250.50", "not checked here"])
def test_a_variable_is_read_as_sent(sent: Any) -> None:
    assert parse_value(sent) == sent


@pytest.mark.parametrize("sent", [True, False, None, [1], {"a": 1}, Decimal("1")])
def test_a_variable_neither_number_nor_text_is_refused(sent: Any) -> None:
    with pytest.raises(GraphQLError) as refused:
        parse_value(sent)
    assert refused.value.message == NOT_MONEY


def test_a_literal_is_read_exactly() -> None:
    assert parse_literal(literal("12")) == 12
    assert type(parse_literal(literal("12"))) is int
    assert parse_literal(literal("0.1")) == Decimal("0.1")  # not the binary float
    assert parse_literal(literal('"1250.50"')) == "1250.50"
    for refused in ("true", "null", "[1]", "{a: 1}", "ENUM"):
        with pytest.raises(GraphQLError) as error:
            parse_literal(literal(refused), None)
        assert error.value.message == NOT_MONEY
