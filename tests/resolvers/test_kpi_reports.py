"""KPI reading resolvers on SecantusDB: sums and ratios checked by hand, scope, indexes used."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from models import KpiEntry, Role
from models.kpi_entry import TENANT_DATE_STORE_SELLER_INDEX, TENANT_STORE_DATE_INDEX
from resolvers import messages
from resolvers.auth import actor_for_user
from resolvers.errors import BadRequest, Forbidden, NotFound
from resolvers.kpi_entries import entries_pipeline, kpi_entries
from resolvers.kpi_queries import KpiFilter
from resolvers.kpi_reconciliation import (
    DayLine,
    KpiReconciliationQuery,
    canonical_day,
    day_checksum,
    kpi_reconciliation,
    reconciliation_pipeline,
)
from resolvers.kpi_summaries import (
    KpiChange,
    KpiGroupBy,
    KpiMetrics,
    KpiSummaryRow,
    kpi_summary,
    summary_pipeline,
)
from resolvers.validation import parse
from tests.support.factories import make_actor, make_gerant, make_store, make_user
from tests.support.kpi_history import FROM, TO, History, make_history, record

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def period(**fields: Any) -> KpiFilter:
    return parse(KpiFilter, {"from": FROM, "to": TO, **fields})


def metrics(
    ca: str,
    counts: tuple[int, int, int],
    panier: str | None,
    indice: str | None,
    taux: str | None,
    prix: str | None,
) -> KpiMetrics:
    """Expected metrics; `counts` is (nb_ventes, nb_articles, prospects)."""
    return KpiMetrics(
        Decimal(ca),
        *counts,
        *(None if value is None else Decimal(value) for value in (panier, indice, taux, prix)),
    )


def change(*values: str | None) -> KpiChange:
    return KpiChange(*(None if value is None else Decimal(value) for value in values))


NO_CHANGE = change(None, None, None, None, None, None, None, None)
NOTHING = metrics("0.00", (0, 0, 0), None, None, None, None)
# Current period, all stores: ca 100.25 (Alice) + 0.01 (Bob) + 55.55 (Chloé) + 1000.00 (David)
# = 1155.81; ventes 2+1+0+10 = 13; articles 5+1+0+25 = 31; prospects 6+3+4+40 = 53.
# panier 1155.81/13 = 88.908… → 88.91; indice 31/13 = 2.38461… → 2.3846;
# taux 13/53 = 0.24528… → 0.2453; prix 1155.81/31 = 37.2841… → 37.28.
TOTAL_NOW = metrics("1155.81", (13, 31, 53), "88.91", "2.3846", "0.2453", "37.28")
# Previous period: Alice 50.00 (2, 4, 8) + Chloé 10.00 (1, 3, 0) = 60.00 (3, 7, 8);
# panier 60/3 = 20.00; indice 7/3 = 2.3333; taux 3/8 = 0.375; prix 60/7 = 8.5714… → 8.57.
TOTAL_BEFORE = metrics("60.00", (3, 7, 8), "20.00", "2.3333", "0.3750", "8.57")
# ca (1155.81-60)/60 = 18.2635; ventes (13-3)/3 = 3.3333; articles (31-7)/7 = 3.4286;
# prospects (53-8)/8 = 5.625; panier (88.9084…-20)/20 = 3.4454; indice (31/13-7/3)/(7/3) = 2/91
# = 0.0220; taux (13/53-0.375)/0.375 = -0.3459; prix (37.2841…-8.5714…)/8.5714… = 3.3498.
TOTAL_CHANGE = change(
    "18.2635", "3.3333", "3.4286", "5.6250", "3.4454", "0.0220", "-0.3459", "3.3498"
)


@pytest.fixture
async def history(client: object) -> History:
    del client  # Beanie is bound to the app's SecantusDB database once its lifespan runs
    return await make_history()


class TestFilter:
    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"to": "2025-03-02"}, "to: must not be before from"),
            ({"from": "2024-03-03"}, "The period is too long: 372 days (maximum 366)"),
            (
                {"from": "2025-02-30"},
                "from: Input should be a real calendar date in the format YYYY-MM-DD",
            ),
            ({"from": None}, "from: Input should be a valid string"),
            (
                {"from": "9999-12-31", "to": "9999-12-31"},
                "Dates must be between 0002-01-02 and 9999-12-30",
            ),
            (
                {"from": "0001-01-01", "to": "0001-01-01"},
                "Dates must be between 0002-01-02 and 9999-12-30",
            ),
            (
                {"store_ids": []},
                "store_ids: List should have at least 1 item after validation, not 0",
            ),
            ({"seller_ids": [" "]}, "seller_ids[0]: String should have at least 1 character"),
        ],
    )
    def test_rejected(self, fields: dict[str, Any], message: str) -> None:
        with pytest.raises(BadRequest) as caught:
            period(**fields)
        assert caught.value.message == message

    def test_366_days_and_repeated_ids(self) -> None:
        accepted = period(**{"from": "2024-01-01", "to": "2024-12-31"}, store_ids=["b", "a", "b"])
        assert (accepted.days, accepted.store_ids) == (366, ["a", "b"])
        with pytest.raises(BadRequest) as caught:
            period(**{"from": "2024-01-01", "to": "2025-01-01"})
        assert caught.value.message == "The period is too long: 367 days (maximum 366)"


class TestSummary:
    async def test_total_with_previous_period_and_change(self, history: History) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant), kpi_filter=period(), group_by=KpiGroupBy.TOTAL
        )
        assert rows == [KpiSummaryRow("total", "Total", TOTAL_NOW, TOTAL_BEFORE, TOTAL_CHANGE)]

    async def test_by_seller_keeps_deleted_and_suspended_sellers(self, history: History) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant), kpi_filter=period(), group_by=KpiGroupBy.SELLER
        )
        assert rows == [
            KpiSummaryRow(
                history.alice.id,
                history.alice.name,
                # 60.10+40.15 = 100.25, ventes 1+1, articles 3+2, prospects 6+0;
                # panier 100.25/2 = 50.125 → 50.13 (half-up, not half-even's 50.12);
                # indice 5/2 = 2.5; taux 2/6 = 0.3333; prix 100.25/5 = 20.05.
                metrics("100.25", (2, 5, 6), "50.13", "2.5000", "0.3333", "20.05"),
                # 50.00 (2, 4, 8): panier 25.00, indice 2, taux 0.25, prix 12.50.
                metrics("50.00", (2, 4, 8), "25.00", "2.0000", "0.2500", "12.50"),
                # ca 50.25/50 = 1.005; ventes 0; articles 1/4; prospects -2/8; panier
                # 25.125/25 = 1.005; indice 0.5/2; taux (1/3-1/4)/(1/4) = 1/3; prix 7.55/12.5.
                change("1.0050", "0", "0.2500", "-0.2500", "1.0050", "0.2500", "0.3333", "0.6040"),
            ),
            KpiSummaryRow(
                history.bob.id,
                history.bob.name,
                metrics("0.01", (1, 1, 3), "0.01", "1.0000", "0.3333", "0.01"),
                NOTHING,
                NO_CHANGE,
            ),
            KpiSummaryRow(
                history.chloe.id,
                history.chloe.name,
                # No sale: panier, indice and prix divide by 0; taux 0/4 = 0.
                metrics("55.55", (0, 0, 4), None, None, "0.0000", None),
                # 10.00 (1, 3, 0): taux divides by 0; prix 10/3 = 3.33.
                metrics("10.00", (1, 3, 0), "10.00", "3.0000", None, "3.33"),
                # ca 45.55/10; ventes -1/1; articles -3/3; prospects from 0; ratios from or to null.
                change("4.5550", "-1", "-1", None, None, None, None, None),
            ),
            KpiSummaryRow(
                history.david.id,
                history.david.name,
                metrics("1000.00", (10, 25, 40), "100.00", "2.5000", "0.2500", "40.00"),
                NOTHING,
                NO_CHANGE,
            ),
        ]

    async def test_by_store_keeps_deactivated_stores(self, history: History) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant), kpi_filter=period(), group_by=KpiGroupBy.STORE
        )
        assert [(row.key, row.label, row.current, row.previous) for row in rows] == [
            # Alice + Bob: 100.25+0.01 = 100.26, (2+1, 5+1, 6+3); panier 100.26/3 = 33.42;
            # indice 6/3 = 2; taux 3/9 = 0.3333; prix 100.26/6 = 16.71.
            (
                history.paris.id,
                "Paris",
                metrics("100.26", (3, 6, 9), "33.42", "2.0000", "0.3333", "16.71"),
                metrics("50.00", (2, 4, 8), "25.00", "2.0000", "0.2500", "12.50"),
            ),
            (
                history.lyon.id,
                "Lyon",
                metrics("55.55", (0, 0, 4), None, None, "0.0000", None),
                metrics("10.00", (1, 3, 0), "10.00", "3.0000", None, "3.33"),
            ),
            (
                history.nice.id,
                "Nice",
                metrics("1000.00", (10, 25, 40), "100.00", "2.5000", "0.2500", "40.00"),
                NOTHING,
            ),
        ]

    async def test_by_day_compares_with_the_day_one_period_earlier(self, history: History) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant), kpi_filter=period(), group_by=KpiGroupBy.DAY
        )
        assert [(row.key, row.label, row.current.ca, row.previous.ca) for row in rows] == [
            # 24 February (Alice, 50.00) is 7 days before 3 March.
            ("2025-03-03", "lundi 3 mars 2025", Decimal("60.10"), Decimal("50.00")),
            # 40.15 + 0.01
            ("2025-03-04", "mardi 4 mars 2025", Decimal("40.16"), Decimal("0.00")),
            ("2025-03-05", "mercredi 5 mars 2025", Decimal("55.55"), Decimal("0.00")),
            # 2 March (Chloé, 10.00) is 7 days before 9 March.
            ("2025-03-09", "dimanche 9 mars 2025", Decimal("1000.00"), Decimal("10.00")),
        ]

    @pytest.mark.parametrize(
        ("group_by", "key", "label"),
        [
            (KpiGroupBy.WEEK, "2025-W10", "semaine 10 2025"),
            (KpiGroupBy.MONTH, "2025-03", "mars 2025"),
        ],
    )
    async def test_week_and_month_of_a_whole_week(
        self, history: History, group_by: KpiGroupBy, key: str, label: str
    ) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant), kpi_filter=period(), group_by=group_by
        )
        assert rows == [KpiSummaryRow(key, label, TOTAL_NOW, TOTAL_BEFORE, TOTAL_CHANGE)]

    @pytest.mark.parametrize(
        ("group_by", "expected"),
        [
            # 30 December 2024 is the Monday of ISO week 1 of 2025.
            (KpiGroupBy.WEEK, [("2024-W52", "semaine 52 2024"), ("2025-W01", "semaine 1 2025")]),
            (KpiGroupBy.MONTH, [("2024-12", "décembre 2024"), ("2025-01", "janvier 2025")]),
            (
                KpiGroupBy.DAY,
                [
                    ("2024-12-29", "dimanche 29 décembre 2024"),
                    ("2024-12-30", "lundi 30 décembre 2024"),
                    ("2025-01-01", "mercredi 1er janvier 2025"),
                ],
            ),
        ],
    )
    async def test_iso_weeks_and_french_labels_across_a_new_year(
        self, client: object, group_by: KpiGroupBy, expected: list[tuple[str, str]]
    ) -> None:
        del client
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        actor = actor_for_user(gerant)
        for day in ("2024-12-29", "2024-12-30", "2025-01-01"):
            await record(actor, store, day, (seller, "1.00", 1, 1, 1))
        rows = await kpi_summary(
            actor=actor,
            kpi_filter=parse(KpiFilter, {"from": "2024-12-29", "to": "2025-01-01"}),
            group_by=group_by,
        )
        assert [(row.key, row.label) for row in rows] == expected

    async def test_total_of_nothing_is_one_row_of_zeros(self, history: History) -> None:
        rows = await kpi_summary(
            actor=actor_for_user(history.gerant),
            kpi_filter=parse(KpiFilter, {"from": "2020-01-01", "to": "2020-01-31"}),
            group_by=KpiGroupBy.TOTAL,
        )
        assert rows == [KpiSummaryRow("total", "Total", NOTHING, NOTHING, NO_CHANGE)]
        none = await kpi_summary(
            actor=actor_for_user(history.gerant),
            kpi_filter=parse(KpiFilter, {"from": "2020-01-01", "to": "2020-01-31"}),
            group_by=KpiGroupBy.SELLER,
        )
        assert none == []

    async def test_restricted_key_reads_its_stores_only(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        [row] = await kpi_summary(actor=actor, kpi_filter=period(), group_by=KpiGroupBy.TOTAL)
        assert row.current == metrics("100.26", (3, 6, 9), "33.42", "2.0000", "0.3333", "16.71")
        with pytest.raises(Forbidden) as caught:
            await kpi_summary(
                actor=actor,
                kpi_filter=period(store_ids=[history.paris.id, history.lyon.id]),
                group_by=KpiGroupBy.TOTAL,
            )
        assert caught.value.message == messages.STORE_NOT_IN_KEY_SCOPE

    async def test_store_and_seller_filters(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"])
        rows = await kpi_summary(
            actor=actor,
            kpi_filter=period(
                store_ids=[history.paris.id, history.nice.id], seller_ids=[history.alice.id]
            ),
            group_by=KpiGroupBy.SELLER,
        )
        assert [(row.key, row.current.ca) for row in rows] == [
            (history.alice.id, Decimal("100.25"))
        ]

    async def test_requires_kpi_read(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:write", "stores:read"])
        with pytest.raises(Forbidden) as caught:
            await kpi_summary(actor=actor, kpi_filter=period(), group_by=KpiGroupBy.TOTAL)
        assert caught.value.message == "Insufficient permissions. Requires 'kpi:read'"


class TestEntries:
    async def test_pages_in_date_store_seller_order(self, history: History) -> None:
        actor = actor_for_user(history.gerant)
        seen: list[tuple[str, str, Decimal]] = []
        after: str | None = None
        pages = []
        while True:
            page = await kpi_entries(actor=actor, kpi_filter=period(), first=2, after=after)
            pages.append(len(page.items))
            seen += [(e.date, e.seller_id, e.ca_journalier) for e in page.items]
            if not page.has_next_page:
                break
            after = page.end_cursor
        assert pages == [2, 2, 1]
        assert seen == [
            ("2025-03-03", history.alice.id, Decimal("60.10")),
            ("2025-03-04", history.alice.id, Decimal("40.15")),
            ("2025-03-04", history.bob.id, Decimal("0.01")),
            ("2025-03-05", history.chloe.id, Decimal("55.55")),
            ("2025-03-09", history.david.id, Decimal("1000.00")),
        ]

    async def test_restricted_key_and_seller_filter(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        page = await kpi_entries(
            actor=actor, kpi_filter=period(seller_ids=[history.bob.id]), first=50, after=None
        )
        assert [(e.date, e.store_id, e.seller_id) for e in page.items] == [
            ("2025-03-04", history.paris.id, history.bob.id)
        ]
        assert (page.has_next_page, page.end_cursor is not None) == (False, True)

    @pytest.mark.parametrize(
        "cursor",
        ["", "!!!", "bm90IGpzb24=", "WzEsMiwzXQ==", "WyJhIiwiYiJd", "éé"],
        ids=["empty", "not-base64", "not-json", "numbers", "two-parts", "non-ascii"],
    )
    async def test_invalid_cursor(self, history: History, cursor: str) -> None:
        with pytest.raises(BadRequest) as caught:
            await kpi_entries(
                actor=actor_for_user(history.gerant), kpi_filter=period(), first=2, after=cursor
            )
        assert caught.value.message == "after: invalid cursor"

    @pytest.mark.parametrize("first", [0, 101])
    async def test_page_size_bounds(self, history: History, first: int) -> None:
        with pytest.raises(BadRequest) as caught:
            await kpi_entries(
                actor=actor_for_user(history.gerant), kpi_filter=period(), first=first, after=None
            )
        assert caught.value.message == "first: must be between 1 and 100"


class TestReconciliation:
    async def test_every_day_with_totals_and_checksums(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"])
        query = parse(
            KpiReconciliationQuery,
            {"store_id": history.paris.id, "from": "2025-03-03", "to": "2025-03-05"},
        )
        found = await kpi_reconciliation(actor=actor, query=query)
        alice_3 = DayLine(history.alice.id, Decimal("60.10"), 1, 3, 6)
        alice_4 = DayLine(history.alice.id, Decimal("40.15"), 1, 2, 0)
        bob_4 = DayLine(history.bob.id, Decimal("0.01"), 1, 1, 3)
        assert (found.store_id, found.date_from, found.date_to) == (
            history.paris.id,
            "2025-03-03",
            "2025-03-05",
        )
        assert [
            (d.date, d.entries, d.ca_total, d.nb_ventes, d.nb_articles, d.prospects, d.checksum)
            for d in found.days
        ] == [
            ("2025-03-03", 1, Decimal("60.10"), 1, 3, 6, day_checksum([alice_3])),
            # Bob, deleted since, still counts: 40.15 + 0.01, (1+1, 2+1, 0+3).
            ("2025-03-04", 2, Decimal("40.16"), 2, 3, 3, day_checksum([bob_4, alice_4])),
            ("2025-03-05", 0, Decimal("0.00"), 0, 0, 0, EMPTY_SHA256),
        ]

    async def test_deactivated_store_keeps_its_history(self, history: History) -> None:
        query = parse(
            KpiReconciliationQuery, {"store_id": history.lyon.id, "from": "2025-03-05", "to": TO}
        )
        found = await kpi_reconciliation(actor=actor_for_user(history.gerant), query=query)
        assert [(d.date, d.ca_total) for d in found.days if d.entries] == [
            ("2025-03-05", Decimal("55.55"))
        ]

    async def test_store_outside_scope_or_unknown(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        query = {"store_id": history.nice.id, "from": FROM, "to": TO}
        with pytest.raises(Forbidden) as forbidden:
            await kpi_reconciliation(actor=actor, query=parse(KpiReconciliationQuery, query))
        assert forbidden.value.message == messages.STORE_NOT_IN_KEY_SCOPE
        with pytest.raises(NotFound) as missing:
            await kpi_reconciliation(
                actor=actor_for_user(history.gerant),
                query=parse(KpiReconciliationQuery, {**query, "store_id": "store_unknown"}),
            )
        assert missing.value.message == "Store not found"


class TestCanonicalForm:
    def test_lines_sorted_by_seller_with_two_decimal_amounts(self) -> None:
        lines = [
            DayLine("seller-789", Decimal("980.25"), 8, 15, 20),
            DayLine("seller-456", Decimal("1250.5"), 12, 28, 35),
        ]
        text = "seller-456|1250.50|12|28|35\nseller-789|980.25|8|15|20\n"
        assert canonical_day(lines) == text
        assert canonical_day([]) == ""
        assert day_checksum([]) == EMPTY_SHA256


def index_scans(plan: Any) -> Iterator[str]:
    """The index names of the IXSCAN stages of a plan."""
    if isinstance(plan, dict):
        if plan.get("stage") == "IXSCAN":
            yield plan["indexName"]
        for value in plan.values():
            yield from index_scans(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from index_scans(value)


def winning_plans(explained: Any) -> Iterator[Any]:
    """Every `winningPlan` of an explain output, however the stages nest it."""
    if isinstance(explained, dict):
        for key, value in explained.items():
            if key == "winningPlan":
                yield value
            else:
                yield from winning_plans(value)
    elif isinstance(explained, list):
        for value in explained:
            yield from winning_plans(value)


async def scanned_indexes(pipeline: list[dict[str, Any]]) -> set[str]:
    """The indexes the winning plan of `pipeline` scans (empty for a collection scan)."""
    collection = KpiEntry.get_motor_collection()
    command = {"aggregate": collection.name, "pipeline": pipeline, "cursor": {}}
    explained = await collection.database.command({"explain": command, "verbosity": "queryPlanner"})
    return {name for plan in winning_plans(explained) for name in index_scans(plan)}


class TestIndexes:
    """The planner's choice on SecantusDB, for the pipelines the resolvers run."""

    async def test_entries_and_summary_scan_the_tenant_date_index(self, history: History) -> None:
        restricted = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        after = "WyIyMDI1LTAzLTA0IiwiYSIsImIiXQ=="  # ["2025-03-04","a","b"]
        for actor in (actor_for_user(history.gerant), restricted):
            filtered = period(seller_ids=[history.alice.id])
            assert await scanned_indexes(entries_pipeline(actor, filtered, 50, after)) == {
                TENANT_DATE_STORE_SELLER_INDEX
            }
            for group_by in KpiGroupBy:
                assert await scanned_indexes(summary_pipeline(actor, filtered, group_by)) == {
                    TENANT_DATE_STORE_SELLER_INDEX
                }

    async def test_reconciliation_scans_the_tenant_store_index(self, history: History) -> None:
        query = parse(
            KpiReconciliationQuery, {"store_id": history.paris.id, "from": FROM, "to": TO}
        )
        assert await scanned_indexes(
            reconciliation_pipeline(actor_for_user(history.gerant), query)
        ) == {TENANT_STORE_DATE_INDEX}
