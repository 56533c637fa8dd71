"""The rollups' arithmetic alone, without a database: a sync's change folded from its lines,
the change applied to a store's month, and the rollups a store's entries make."""

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from models.kpi_rollup import RollupKind
from resolvers.kpi.figures import DayLine, Figures, day_checksum
from resolvers.kpi.rollups import (
    expected_for_store,
    next_month_document,
    store_day_document,
    sync_change,
)
from resolvers.kpi.scope import KpiTenant

TENANT = KpiTenant("g")
DAY = "2024-01-31"


def line(
    seller_id: str, cents: int, ventes: int = 1, articles: int = 1, prospects: int = 1
) -> DayLine:
    return DayLine(seller_id, Decimal(cents) / 100, ventes, articles, prospects)


class TestSyncChange:
    def test_new_sellers_add_their_figures_to_the_store(self) -> None:
        change = sync_change("s1", {"a": line("a", 1250), "b": line("b", 99, 2, 3, 4)}, {})
        assert change == {
            "s1": {"a": Figures(1250, 1, 1, 1, 1), "b": Figures(99, 2, 3, 4, 1)},
        }

    def test_a_resynced_seller_moves_by_the_difference(self) -> None:
        change = sync_change("s1", {"a": line("a", 1000, 4, 5, 6)}, {"a": ("s1", line("a", 1250))})
        assert change == {"s1": {"a": Figures(-250, 3, 4, 5, 0)}}

    def test_a_seller_come_from_another_store_leaves_it(self) -> None:
        change = sync_change("s2", {"a": line("a", 300, 3, 3, 3)}, {"a": ("s1", line("a", 700))})
        assert change == {
            "s2": {"a": Figures(300, 3, 3, 3, 1)},
            "s1": {"a": Figures(-700, -1, -1, -1, -1)},
        }


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
        }

    def test_a_day_without_lines_is_zeros_and_the_empty_checksum(self) -> None:
        document = store_day_document(TENANT, "s1", DAY, [])
        assert (document["entries"], document["checksum"]) == (0, day_checksum([]))


class TestNextMonth:
    def test_a_first_sync_makes_the_month(self) -> None:
        change = {"a": Figures(1250, 1, 2, 3, 1)}
        month = next_month_document(TENANT, "s1", DAY, None, Figures(1250, 1, 2, 3, 1), change)
        assert month["_id"] == "store_month:g:2024-01:s1:"
        assert (month["kind"], month["period"], month["checksum"]) == (
            "store_month",
            "2024-01",
            None,
        )
        assert Figures.of_sums(month) == Figures(1250, 1, 2, 3, 1)
        assert json.loads(month["days"]) == {DAY: [1250, 1, 2, 3, 1]}
        assert json.loads(month["sellers"]) == {"a": [1250, 1, 2, 3, 1]}

    def test_a_change_moves_the_totals_and_sellers_and_sets_the_day(self) -> None:
        stored = next_month_document(
            TENANT,
            "s1",
            "2024-01-30",
            None,
            Figures(500, 5, 5, 5, 1),
            {"a": Figures(500, 5, 5, 5, 1)},
        )
        stored = {
            **stored,
            **next_month_document(
                TENANT, "s1", DAY, stored, Figures(100, 1, 1, 1, 1), {"b": Figures(100, 1, 1, 1, 1)}
            ),
        }
        month = next_month_document(
            TENANT, "s1", DAY, stored, Figures(0, 0, 0, 0, 0), {"b": Figures(-100, -1, -1, -1, -1)}
        )
        assert Figures.of_sums(month) == Figures(500, 5, 5, 5, 1)
        # A day left without entries, and a seller whose entries all left, are dropped.
        assert json.loads(month["days"]) == {"2024-01-30": [500, 5, 5, 5, 1]}
        assert json.loads(month["sellers"]) == {"a": [500, 5, 5, 5, 1]}


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


@given(before=lines_by_seller, synced=lines_by_seller)
def test_a_change_applied_to_the_month_equals_the_month_recomputed(
    before: dict[str, DayLine], synced: dict[str, DayLine]
) -> None:
    """Folding a sync into its change and applying it to the month gives the month its day's
    lines make afresh: the incremental writes and the rebuild agree."""
    month_before = expected_for_store(TENANT, "s1", {DAY: list(before.values())} if before else {})
    stored = month_before.get(TENANT.rollup_id(RollupKind.STORE_MONTH, "2024-01", "s1"))
    after = {**before, **synced}
    former = {seller_id: ("s1", before[seller_id]) for seller_id in synced if seller_id in before}
    change = sync_change("s1", synced, former)
    day = store_day_document(TENANT, "s1", DAY, after.values())
    month = next_month_document(
        TENANT, "s1", DAY, stored, Figures.of_sums(day), change.get("s1", {})
    )
    expected = expected_for_store(TENANT, "s1", {DAY: list(after.values())})
    assert month == expected[month["_id"]]
