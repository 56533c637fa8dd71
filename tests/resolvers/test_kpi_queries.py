"""What the KPI reads share, on SecantusDB: the period filter, and the indexes the planner
chooses for every read pipeline."""

import itertools
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from contract import messages
from contract.actor import Actor
from contract.credentials import actor_for_user
from contract.errors import BadRequest, Forbidden
from contract.validation import parse
from models import KpiEntry, KpiRollup
from models.kpi_entry import (
    SELLER_DATE_UNIQUE_INDEX,
    TENANT_DATE_SELLER_INDEX,
    TENANT_DATE_STORE_SELLER_INDEX,
    TENANT_STORE_DATE_INDEX,
)
from models.kpi_rollup import PERIOD_INDEX, STORE_INDEX
from resolvers.kpi.entries import entries_pipeline
from resolvers.kpi.queries import KpiFilter
from resolvers.kpi.reconciliation import (
    KpiReconciliationQuery,
    reconciliation_pipeline,
)
from resolvers.kpi.scope import KpiTenant, ReadingScope, reading_scope
from resolvers.kpi.summaries import (
    KpiGroupBy,
    summary_pieces,
)
from tests.support.factories import make_actor
from tests.support.kpi_history import FROM, TO, History, period


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
                "from: Input should be a date from 1900-01-01 to 2999-12-31; "
                "to: Input should be a date from 1900-01-01 to 2999-12-31",
            ),
            (
                {"from": "1899-12-31", "to": "1900-01-01"},
                "from: Input should be a date from 1900-01-01 to 2999-12-31",
            ),
            (
                {"from": "2999-12-31", "to": "3000-01-01"},
                "to: Input should be a date from 1900-01-01 to 2999-12-31",
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


def scans(plan: Any) -> Iterator[tuple[str, str | None]]:
    """The (stage, index) of each IXSCAN or COLLSCAN stage of a plan."""
    if isinstance(plan, dict):
        if plan.get("stage") in ("IXSCAN", "COLLSCAN"):
            yield plan["stage"], plan.get("indexName")
        for value in plan.values():
            yield from scans(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from scans(value)


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


async def scanned_indexes(
    pipeline: list[dict[str, Any]], collection: type[KpiEntry] | type[KpiRollup] = KpiEntry
) -> set[str | None]:
    """The indexes the winning plan of `pipeline` scans; None stands for a collection scan."""
    motor = collection.get_motor_collection()
    command = {"aggregate": motor.name, "pipeline": pipeline, "cursor": {}}
    explained = await motor.database.command({"explain": command, "verbosity": "queryPlanner"})
    found = {index for plan in winning_plans(explained) for stage, index in scans(plan)}
    return {None if index is None else index for index in found}


ROLLUP_INDEXES = {PERIOD_INDEX, STORE_INDEX}


class TestIndexes:
    """The planner's choice on SecantusDB, for the reads the resolvers run: never a scan of a
    whole collection, and the seller or store in the first index-backed stage."""

    async def test_entry_pages_and_every_summary_read_use_an_index(self, history: History) -> None:
        restricted = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        after = "WyIyMDI1LTAzLTA0IiwiYSIsImIiXQ=="  # ["2025-03-04","a","b"]
        start, end = date.fromisoformat("2025-01-15"), date.fromisoformat("2025-04-10")
        for actor in (actor_for_user(history.gerant), restricted):
            filtered = period(seller_ids=[history.alice.id])
            assert await scanned_indexes(entries_pipeline(actor, filtered, 50, after)) == {
                SELLER_DATE_UNIQUE_INDEX
            }
            scopes = (scope_of(actor, filtered), scope_of(actor, period()))
            for scope, group_by, shifted in itertools.product(scopes, KpiGroupBy, (False, True)):
                for piece in summary_pieces(scope, group_by, start, end, shifted):
                    used = await scanned_indexes(piece.stages, piece.collection)
                    assert None not in used, (scope, group_by, piece)
                    assert used <= ROLLUP_INDEXES | ENTRY_INDEXES, used

    async def test_reconciliation_reads_the_stores_days(self, history: History) -> None:
        query = parse(
            KpiReconciliationQuery, {"store_id": history.paris.id, "from": FROM, "to": TO}
        )
        pipeline = reconciliation_pipeline(actor_for_user(history.gerant), query)
        assert await scanned_indexes(pipeline, KpiRollup) == {STORE_INDEX}


ENTRY_INDEXES = {
    SELLER_DATE_UNIQUE_INDEX,
    TENANT_DATE_STORE_SELLER_INDEX,
    TENANT_STORE_DATE_INDEX,
    TENANT_DATE_SELLER_INDEX,
}


def scope_of(actor: Actor, kpi_filter: KpiFilter) -> ReadingScope:
    return reading_scope(actor, kpi_filter.store_ids, kpi_filter.seller_ids)


class TestReadingScope:
    """Whose figures a read covers, from the caller and the filter alone (no database)."""

    def test_without_stores_named_the_caller_reads_all_he_may(self) -> None:
        tenant = Actor(gerant_id="g", permissions=frozenset(), store_ids=None)
        assert scope_of(tenant, period()) == ReadingScope(KpiTenant("g"), stores=None, sellers=None)
        restricted = Actor(gerant_id="g", permissions=frozenset(), store_ids=frozenset("ba"))
        named = period(seller_ids=["s1", "s2"])
        assert scope_of(restricted, named) == ReadingScope(
            KpiTenant("g"), stores=["a", "b"], sellers=["s1", "s2"]
        )

    def test_stores_named_are_read_if_in_scope(self) -> None:
        restricted = Actor(gerant_id="g", permissions=frozenset(), store_ids=frozenset("abc"))
        assert scope_of(restricted, period(store_ids=["c", "a"])).stores == ["a", "c"]
        with pytest.raises(Forbidden) as refused:
            scope_of(restricted, period(store_ids=["a", "z"]))
        assert refused.value.message == messages.STORE_NOT_IN_USER_SCOPE

    @pytest.mark.parametrize("sellers", [None, ["me"]])
    def test_a_seller_reads_his_own_figures(self, sellers: list[str] | None) -> None:
        seller = Actor(
            gerant_id="g", permissions=frozenset(), store_ids=frozenset("a"), own_seller_id="me"
        )
        found = scope_of(seller, period(seller_ids=sellers))
        assert found == ReadingScope(KpiTenant("g"), stores=["a"], sellers=["me"])

    @pytest.mark.parametrize("sellers", [["other"], ["me", "other"]])
    def test_a_seller_naming_another_is_refused(self, sellers: list[str]) -> None:
        seller = Actor(gerant_id="g", permissions=frozenset(), store_ids=None, own_seller_id="me")
        with pytest.raises(Forbidden) as refused:
            scope_of(seller, period(seller_ids=sellers))
        assert refused.value.message == messages.SELLER_OWN_KPIS_ONLY
