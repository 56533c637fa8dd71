"""What the KPI reads share, on SecantusDB: the period filter, and the indexes the planner
chooses for every read pipeline."""

from collections.abc import Iterator
from typing import Any

import pytest

from models import KpiEntry
from models.kpi_entry import TENANT_DATE_STORE_SELLER_INDEX, TENANT_STORE_DATE_INDEX
from resolvers.auth import actor_for_user
from resolvers.errors import BadRequest
from resolvers.kpi_entries import entries_pipeline
from resolvers.kpi_reconciliation import (
    KpiReconciliationQuery,
    reconciliation_pipeline,
)
from resolvers.kpi_summaries import (
    KpiGroupBy,
    summary_pipeline,
)
from resolvers.validation import parse
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
