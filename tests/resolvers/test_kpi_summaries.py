"""KPI summaries on SecantusDB: sums and ratios checked by hand, previous period, scope."""

from decimal import Decimal

import pytest

from contract import messages
from contract.credentials import actor_for_user
from contract.errors import Forbidden
from contract.validation import parse
from models import Role
from resolvers.kpi import queries as kpi_queries
from resolvers.kpi.figures import Figures
from resolvers.kpi.queries import KpiFilter
from resolvers.kpi.summaries import (
    KpiChange,
    KpiGroupBy,
    KpiMetrics,
    KpiSummaryRow,
    _change,
    _metrics,
    kpi_summary,
    seller_summaries,
    store_summaries,
)
from tests.support.factories import make_actor, make_gerant, make_store, make_user
from tests.support.kpi_history import (
    AWKWARD_DAYS,
    AWKWARD_MONTH,
    Awkward,
    History,
    period,
    record,
)


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

    async def test_many_sellers_are_named_from_the_tenants_people(
        self, history: History, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        actor = actor_for_user(history.gerant)
        await make_user(await make_gerant(), Role.SELLER, None)  # another tenant's: not read
        few = await kpi_summary(actor=actor, kpi_filter=period(), group_by=KpiGroupBy.SELLER)
        monkeypatch.setattr(kpi_queries, "MAX_IDS", 2)  # 4 sellers: more than one lookup holds
        many = await kpi_summary(actor=actor, kpi_filter=period(), group_by=KpiGroupBy.SELLER)
        assert many == few
        sellers = (history.alice, history.bob, history.chloe, history.david)
        assert [row.label for row in many] == [seller.name for seller in sellers]

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


class TestBatchedSummaries:
    """store_summaries and seller_summaries give, for each store or seller, exactly the rows
    kpi_summary gives for it alone: the graph's nested summaries and the top-level query agree."""

    @pytest.mark.parametrize("group_by", list(KpiGroupBy))
    async def test_each_store_as_kpi_summary_gives_it_alone(
        self, history: History, group_by: KpiGroupBy
    ) -> None:
        actor = actor_for_user(history.gerant)
        stores = [history.paris.id, history.lyon.id, history.nice.id, "store_unknown"]
        batched = await store_summaries(
            actor=actor, kpi_filter=period(), group_by=group_by, store_ids=stores
        )
        assert list(batched) == sorted(stores)
        for store_id in stores:
            alone = await kpi_summary(
                actor=actor, kpi_filter=period(store_ids=[store_id]), group_by=group_by
            )
            assert batched[store_id] == alone, (group_by, store_id)
        assert batched[history.paris.id]  # the history has rows to compare

    @pytest.mark.parametrize("group_by", list(KpiGroupBy))
    async def test_each_seller_as_kpi_summary_gives_him_alone(
        self, history: History, group_by: KpiGroupBy
    ) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"])
        sellers = [history.alice.id, history.bob.id, history.chloe.id, history.david.id]
        narrowed = period(store_ids=[history.paris.id, history.nice.id])
        batched = await seller_summaries(
            actor=actor, kpi_filter=narrowed, group_by=group_by, seller_ids=sellers
        )
        for seller_id in sellers:
            alone = await kpi_summary(
                actor=actor,
                kpi_filter=narrowed.model_copy(update={"seller_ids": [seller_id]}),
                group_by=group_by,
            )
            assert batched[seller_id] == alone, (group_by, seller_id)
        assert batched[history.alice.id]  # the history has rows to compare

    async def test_the_rules_of_kpi_summary_apply(self, history: History) -> None:
        without = await make_actor(history.gerant, ["stores:read"])
        with pytest.raises(Forbidden) as caught:
            await store_summaries(
                actor=without,
                kpi_filter=period(),
                group_by=KpiGroupBy.TOTAL,
                store_ids=[history.paris.id],
            )
        assert caught.value.message == "Insufficient permissions. Requires 'kpi:read'"
        restricted = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        with pytest.raises(Forbidden) as caught:
            await store_summaries(
                actor=restricted,
                kpi_filter=period(),
                group_by=KpiGroupBy.TOTAL,
                store_ids=[history.paris.id, history.lyon.id],
            )
        assert caught.value.message == messages.STORE_NOT_IN_KEY_SCOPE
        alice = actor_for_user(history.alice)
        own = await seller_summaries(
            actor=alice,
            kpi_filter=period(),
            group_by=KpiGroupBy.TOTAL,
            seller_ids=[history.alice.id],
        )
        assert own[history.alice.id][0].current.ca == Decimal("100.25")
        with pytest.raises(Forbidden) as caught:
            await seller_summaries(
                actor=alice,
                kpi_filter=period(),
                group_by=KpiGroupBy.TOTAL,
                seller_ids=[history.bob.id],
            )
        assert caught.value.message == messages.SELLER_OWN_KPIS_ONLY
        assert (
            await store_summaries(
                actor=restricted, kpi_filter=period(), group_by=KpiGroupBy.DAY, store_ids=[]
            )
            == {}
        )


# Read from the month's totals, days and sellers (the whole month), and from its days and the
# raw entries (a period that cuts it).
AWKWARD_PERIODS = [AWKWARD_MONTH, {"from": AWKWARD_DAYS[0], "to": AWKWARD_DAYS[1]}]


@pytest.mark.parametrize("dates", AWKWARD_PERIODS, ids=["month", "days"])
async def test_awkward_amounts_are_summed_to_the_exact_cent(
    awkward: Awkward, dates: dict[str, str]
) -> None:
    """Fixed totals (tests/support/kpi_history.py): a conversion to cents through binary floats
    would lose a cent on each of 0.29, 0.57, 1.13 and 19.99."""
    actor = actor_for_user(awkward.gerant)
    kpi_filter = parse(KpiFilter, dates)
    first, second, third = (seller.id for seller in awkward.sellers)
    day1, day2 = AWKWARD_DAYS
    expected = {
        KpiGroupBy.TOTAL: [("total", "1272.03")],
        KpiGroupBy.STORE: [(awkward.store.id, "1272.03")],
        KpiGroupBy.SELLER: [(first, "20.28"), (second, "1250.62"), (third, "1.13")],
        KpiGroupBy.DAY: [(day1, "1.99"), (day2, "1270.04")],
        KpiGroupBy.WEEK: [("2025-W07", "1272.03")],
        KpiGroupBy.MONTH: [("2025-02", "1272.03")],
    }
    for group_by, rows in expected.items():
        found = await kpi_summary(actor=actor, kpi_filter=kpi_filter, group_by=group_by)
        assert [(row.key, row.current.ca) for row in found] == [
            (key, Decimal(ca)) for key, ca in rows
        ], group_by
    [total] = await kpi_summary(actor=actor, kpi_filter=kpi_filter, group_by=KpiGroupBy.TOTAL)
    # 1272.03 / 5 sales = 254.406, 1272.03 / 10 articles = 127.203
    assert (total.current.panier_moyen, total.current.prix_moyen_article) == (
        Decimal("254.41"),
        Decimal("127.20"),
    )
    by_seller = await seller_summaries(
        actor=actor, kpi_filter=kpi_filter, group_by=KpiGroupBy.TOTAL, seller_ids=[second]
    )
    assert by_seller[second][0].current.ca == Decimal("1250.62")


class TestMetrics:
    """The metrics and changes of a row from its sums alone (no database): the figures above."""

    def test_ratios_to_the_cent_or_4_decimals_half_up(self) -> None:
        alice = Figures(ca_cents=10025, nb_ventes=2, nb_articles=5, prospects=6, entries=2)
        before = Figures(ca_cents=5000, nb_ventes=2, nb_articles=4, prospects=8, entries=1)
        assert _metrics(alice) == metrics("100.25", (2, 5, 6), "50.13", "2.5000", "0.3333", "20.05")
        assert _change(alice, before) == change(
            "1.0050", "0", "0.2500", "-0.2500", "1.0050", "0.2500", "0.3333", "0.6040"
        )
        total = Figures(ca_cents=115581, nb_ventes=13, nb_articles=31, prospects=53, entries=5)
        earlier = Figures(ca_cents=6000, nb_ventes=3, nb_articles=7, prospects=8, entries=3)
        assert (_metrics(total), _metrics(earlier)) == (TOTAL_NOW, TOTAL_BEFORE)
        assert _change(total, earlier) == TOTAL_CHANGE

    def test_a_division_by_zero_is_none(self) -> None:
        chloe = Figures(ca_cents=5555, nb_ventes=0, nb_articles=0, prospects=4, entries=1)
        assert _metrics(chloe) == metrics("55.55", (0, 0, 4), None, None, "0.0000", None)
        assert _metrics(Figures()) == NOTHING
        assert _change(chloe, Figures()) == NO_CHANGE
        assert _change(Figures(), chloe) == change(
            "-1.0000", None, None, "-1.0000", None, None, None, None
        )
