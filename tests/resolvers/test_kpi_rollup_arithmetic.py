"""The rollups' arithmetic alone, without a database: a store's day from its lines, a month
folded from its store days, and the rollups a store's entries make."""

import json
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from models.kpi_rollup import RollupKind
from resolvers.kpi.figures import DayLine, Figures, day_checksum
from resolvers.kpi.rollups import expected_for_store, fold_days, folded_state, store_day_document
from resolvers.kpi.scope import KpiTenant

TENANT = KpiTenant("g")
DAY = "2024-01-31"


def line(
    seller_id: str, cents: int, ventes: int = 1, articles: int = 1, prospects: int = 1
) -> DayLine:
    return DayLine(seller_id, Decimal(cents) / 100, ventes, articles, prospects)


class TestStoreDay:
    def test_sums_and_checksum_of_the_days_lines(self) -> None:
        lines = [line("b", 99, 1, 1, 1), line("a", 1000, 4, 5, 6)]
        assert store_day_document(TENANT, "s1", DAY, lines) == {
            "_id": f"store_day:g:{DAY}:s1:",
            "gerant_id": "g",
            "kind": "store_day",
            "period": DAY,
            "store_id": "s1",
            "seller_id": None,
            "ca_cents": 1099,
            "nb_ventes": 5,
            "nb_articles": 6,
            "prospects": 7,
            "entries": 2,
            "checksum": day_checksum(lines),
            "sellers": json.dumps({"a": [1000, 4, 5, 6, 1], "b": [99, 1, 1, 1, 1]}).replace(
                " ", ""
            ),
        }

    def test_a_day_without_lines_is_zeros_and_the_empty_checksum(self) -> None:
        document = store_day_document(TENANT, "s1", DAY, [])
        assert (document["entries"], document["checksum"]) == (0, day_checksum([]))


class TestFoldDays:
    def test_the_month_of_its_store_days(self) -> None:
        days = [
            store_day_document(TENANT, "s1", "2024-01-30", [line("a", 500, 5, 5, 5)]),
            store_day_document(TENANT, "s1", DAY, [line("a", 100), line("b", 200, 2, 3, 4)]),
        ]
        month = fold_days(TENANT, "s1", "2024-01", None, days)
        assert month is not None
        assert month["_id"] == "store_month:g:2024-01:s1:"
        assert (month["kind"], month["period"], month["checksum"]) == (
            "store_month",
            "2024-01",
            None,
        )
        assert Figures.of_sums(month) == Figures(800, 8, 9, 10, 3)
        assert json.loads(month["days"]) == {
            "2024-01-30": [500, 5, 5, 5, 1],
            DAY: [300, 3, 4, 5, 2],
        }
        assert json.loads(month["sellers"]) == {"a": [600, 6, 6, 6, 2], "b": [200, 2, 3, 4, 1]}

    def test_a_day_left_without_entries_is_dropped_and_an_empty_month_is_none(self) -> None:
        kept = store_day_document(TENANT, "s1", "2024-01-30", [line("a", 500, 5, 5, 5)])
        emptied = store_day_document(TENANT, "s1", DAY, [])
        month = fold_days(TENANT, "s1", "2024-01", None, [kept, emptied])
        assert month is not None
        assert json.loads(month["days"]) == {"2024-01-30": [500, 5, 5, 5, 1]}
        assert fold_days(TENANT, "s1", "2024-01", None, [emptied]) is None


class TestExpectedForStore:
    def test_one_day_rollup_a_day_and_one_month_rollup_a_month(self) -> None:
        days = {
            "2024-01-31": [line("a", 100), line("b", 200)],
            "2024-02-01": [line("a", 50)],
        }
        found = expected_for_store(TENANT, "s1", days)
        assert sorted(found) == [
            "store_day:g:2024-01-31:s1:",
            "store_day:g:2024-02-01:s1:",
            "store_month:g:2024-01:s1:",
            "store_month:g:2024-02:s1:",
        ]
        january = found["store_month:g:2024-01:s1:"]
        assert Figures.of_sums(january) == Figures(300, 2, 2, 2, 2)
        assert json.loads(january["sellers"]) == {"a": [100, 1, 1, 1, 1], "b": [200, 1, 1, 1, 1]}

    def test_no_entries_no_rollups(self) -> None:
        assert expected_for_store(TENANT, "s1", {}) == {}


sellers = st.sampled_from(["a", "b", "c", "d"])
lines_by_seller = st.dictionaries(
    sellers,
    st.tuples(st.integers(0, 10**9), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    max_size=4,
).map(lambda found: {seller: line(seller, *figures) for seller, figures in found.items()})


@given(
    syncs=st.lists(
        st.tuples(st.sampled_from([DAY, "2024-01-30"]), lines_by_seller, st.booleans()),
        max_size=8,
    )
)
def test_a_month_folded_as_days_change_equals_the_month_recomputed(
    syncs: list[tuple[str, dict[str, DayLine], bool]],
) -> None:
    """Syncs applied one after another to their store days, folded into the month now and then
    (each day carrying what the month holds of it), give the month the final entries make
    afresh: the projector's increments and the rebuild agree."""
    days: dict[str, dict[str, DayLine]] = {}
    stored: dict[str, dict[str, Any]] = {}  # the store days as kept, with their `folded` state
    pending: set[str] = set()
    month: dict[str, Any] | None = None

    def fold() -> dict[str, Any] | None:
        folded = fold_days(TENANT, "s1", "2024-01", month, [stored[day] for day in sorted(pending)])
        for day in pending:
            stored[day] = {**stored[day], "folded": folded_state(stored[day])}
        pending.clear()
        return folded

    for day, synced, fold_now in syncs:
        days[day] = {**days.get(day, {}), **synced}
        written = store_day_document(TENANT, "s1", day, days[day].values())
        stored[day] = {**written, "folded": stored.get(day, {}).get("folded")}
        pending.add(day)
        if fold_now:
            month = fold()
    month = fold()
    entries = {day: list(lines.values()) for day, lines in days.items() if lines}
    expected = expected_for_store(TENANT, "s1", entries)
    assert month == expected.get(TENANT.rollup_id(RollupKind.STORE_MONTH, "2024-01", "s1"))
