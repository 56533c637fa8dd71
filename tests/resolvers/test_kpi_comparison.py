"""What a KPI period is compared with: the days back (comparison_shift), and daily rows that
face the same weekday."""

from datetime import date
from decimal import Decimal

import pytest

from contract.credentials import actor_for_user
from models import Role
from resolvers.kpi.comparison import (
    KpiComparison,
    comparison_period,
    comparison_shift,
    year_before,
)
from resolvers.kpi.summaries import KpiGroupBy, kpi_summary
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.kpi_history import period, record


@pytest.mark.parametrize(
    ("start", "end", "compare", "shift"),
    [
        # 30 days: just before, or 5 whole weeks back so that a Monday faces a Monday.
        ("2026-11-05", "2026-12-04", KpiComparison.PREVIOUS_PERIOD, 30),
        ("2026-11-05", "2026-12-04", KpiComparison.PREVIOUS_WEEKS, 35),
        ("2026-11-28", "2026-12-04", KpiComparison.PREVIOUS_WEEKS, 7),
        ("2026-12-04", "2026-12-04", KpiComparison.PREVIOUS_WEEKS, 7),
        ("2026-11-05", "2026-12-04", KpiComparison.LAST_YEAR_WEEKDAYS, 364),
        ("2026-11-05", "2026-12-04", KpiComparison.LAST_YEAR, 365),
        # From 1 March 2024 a year back crosses 29 February 2024.
        ("2024-03-01", "2024-03-31", KpiComparison.LAST_YEAR, 366),
        ("2024-02-29", "2024-03-31", KpiComparison.LAST_YEAR, 366),
    ],
)
def test_the_comparison_lies_so_many_days_back(
    start: str, end: str, compare: KpiComparison, shift: int
) -> None:
    found = comparison_shift(date.fromisoformat(start), date.fromisoformat(end), compare)
    assert found == shift


@pytest.mark.parametrize(
    "compare", [KpiComparison.PREVIOUS_WEEKS, KpiComparison.LAST_YEAR_WEEKDAYS]
)
@pytest.mark.parametrize("days", range(1, 40))
def test_weekday_comparisons_keep_the_weekday(compare: KpiComparison, days: int) -> None:
    start = date(2026, 11, 2)
    end = date.fromordinal(start.toordinal() + days - 1)
    shift = comparison_shift(start, end, compare)
    assert shift % 7 == 0
    assert shift >= days, "the comparison period ends before this one starts"


def test_the_comparison_period_has_the_same_length() -> None:
    start, end = date(2026, 11, 5), date(2026, 12, 4)
    assert comparison_period(start, end, KpiComparison.PREVIOUS_WEEKS) == (
        date(2026, 10, 1),
        date(2026, 10, 30),
    )
    assert comparison_period(start, end, KpiComparison.LAST_YEAR) == (
        date(2025, 11, 5),
        date(2025, 12, 4),
    )


def test_a_year_before_29_february_is_28_february() -> None:
    assert year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert year_before(date(2026, 12, 5)) == date(2025, 12, 5)


async def test_daily_rows_face_the_same_weekday_and_a_closed_sunday_faces_a_closed_sunday(
    client: object,
) -> None:
    del client  # Beanie is bound to the app's database once its lifespan runs
    gerant = await make_gerant()
    store = await make_store(gerant, "Paris")
    seller = await make_user(gerant, Role.SELLER, store)
    actor = actor_for_user(gerant)
    # Mondays 2026-10-26 and 2026-11-02 (5 weeks before 2026-11-30 and 2026-12-07); no Sunday
    # sells.
    await record(actor, store, "2026-10-26", (seller, "100.00", 2, 4, 8))
    await record(actor, store, "2026-10-31", (seller, "80.00", 1, 1, 2))  # a Saturday
    await record(actor, store, "2026-11-30", (seller, "150.00", 3, 6, 9))
    await record(actor, store, "2026-12-05", (seller, "40.00", 1, 1, 1))  # a Saturday
    rows = await kpi_summary(
        actor=actor,
        kpi_filter=period(**{"from": "2026-11-05", "to": "2026-12-06"}),
        group_by=KpiGroupBy.DAY,
        compare=KpiComparison.PREVIOUS_WEEKS,
    )
    by_day = {row.key: row for row in rows}
    assert sorted(by_day) == ["2026-11-30", "2026-12-05"]
    monday, saturday = by_day["2026-11-30"], by_day["2026-12-05"]
    assert (monday.previous.ca, monday.change.ca) == (Decimal("100.00"), Decimal("0.5000"))
    assert (saturday.previous.ca, saturday.change.ca) == (Decimal("80.00"), Decimal("-0.5000"))
    assert "2026-12-06" not in by_day, "a closed Sunday against a closed Sunday has no row"

    plain = await kpi_summary(
        actor=actor,
        kpi_filter=period(**{"from": "2026-11-05", "to": "2026-12-06"}),
        group_by=KpiGroupBy.DAY,
    )
    # 32 days just before: 2026-10-31's Saturday falls on 2026-12-02, a Wednesday.
    assert {row.key: row.previous.ca for row in plain}["2026-12-02"] == Decimal("80.00")
