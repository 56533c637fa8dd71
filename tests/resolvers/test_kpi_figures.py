"""Money in whole cents: every amount to the cent converts exactly, however it arrives."""

from decimal import Decimal

from bson import Decimal128
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contract.validation import parse
from resolvers.kpi.figures import DayLine, from_cents, money_text, stored_amount, to_cents
from resolvers.kpi.sync import KpiEntryData

MAX_CENTS = 10**15 - 1  # 9999999999999.99, the largest amount a sync accepts


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.integers(0, MAX_CENTS))
@example(29).via("0.29 * 100 is 28.999999999999996 as a float")
@example(57).via("0.57")
@example(113).via("1.13")
@example(1999).via("19.99")
@example(125005).via("1250.05")
@example(MAX_CENTS).via("the largest amount")
def test_every_whole_number_of_cents_converts_exactly(cents: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    assert to_cents(amount) == cents
    assert to_cents(Decimal128(amount)) == cents  # as stored
    assert from_cents(cents) == amount
    assert money_text(from_cents(cents)) == f"{cents // 100}.{cents % 100:02d}"
    # As a till sends it: a JSON number (read as a float) or a decimal string.
    for sent in (cents / 100, f"{amount:f}"):
        entry = {"seller_id": "s", "ca_journalier": sent, "nb_ventes": 0, "nb_articles": 0}
        read = parse(KpiEntryData, entry).ca_journalier
        assert read == amount
        assert stored_amount(read).bid == Decimal128(read).bid
        stored = {**entry, "ca_journalier": stored_amount(read)}
        assert DayLine.of_document(stored).figures.ca_cents == cents


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.integers(-(10**26) + 1, 10**26 - 1), st.integers(-4, 2))
@example(0, -2).via("0.00")
@example(10**26 - 1, -2).via("the most digits built from cents")
def test_an_amount_is_stored_as_bson_stores_it(coefficient: int, exponent: int) -> None:
    amount = Decimal(coefficient).scaleb(exponent)
    assert stored_amount(amount).bid == Decimal128(amount).bid
    negative_zero = Decimal("-0.00")
    assert stored_amount(negative_zero).bid == Decimal128(negative_zero).bid
