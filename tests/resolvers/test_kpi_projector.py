"""The projector: store days folded into their months outside the syncs, one process per
store-month, and summaries that read the days not folded yet."""

import json
from datetime import timedelta
from typing import Any

import pytest

from contract.credentials import actor_for_user
from models import KpiRollup, RollupKind
from models.clock import utcnow
from resolvers.kpi import projector
from resolvers.kpi.rollup_admin import check_rollups
from resolvers.kpi.scope import KpiTenant
from resolvers.kpi.summaries import KpiGroupBy, KpiSummaryRow, kpi_summary
from tests.support.kpi_history import History, fold_all, period, record

ROLLUPS = KpiRollup.get_motor_collection


async def summaries(history: History) -> dict[tuple[KpiGroupBy, str], list[KpiSummaryRow]]:
    """Every grouping, over the history's week and over whole months."""
    actor = actor_for_user(history.gerant)
    filters = {"week": period(), "months": period(**{"from": "2025-02-01", "to": "2025-03-31"})}
    return {
        (group_by, name): await kpi_summary(actor=actor, kpi_filter=filter_, group_by=group_by)
        for group_by in KpiGroupBy
        for name, filter_ in filters.items()
    }


async def pending_days(tenant: KpiTenant, store_id: str, month: str) -> list[str]:
    """The ids of a store-month's days not folded yet, as `fold_pending` hands them over."""
    days = tenant.rollups(store_id=store_id, unfolded=True, period={"$regex": f"^{month}-"})
    return [day["_id"] async for day in ROLLUPS().find(days, {"_id": 1})]


async def kinds() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {"store_day": [], "store_month": []}
    async for document in KpiRollup.get_motor_collection().find({}):
        found[document["kind"]].append(document)
    return found


class TestReadsBeforeTheFold:
    async def test_summaries_are_the_same_before_and_after_the_fold(self, history: History) -> None:
        before = await kinds()
        assert before["store_month"] == []  # the syncs wrote their days only
        assert all(day["unfolded"] for day in before["store_day"])
        unfolded = await summaries(history)

        await fold_all()

        after = await kinds()
        assert after["store_month"] != []
        assert not any(day.get("unfolded") for day in after["store_day"])
        assert await summaries(history) == unfolded
        total = unfolded[(KpiGroupBy.TOTAL, "week")][0]
        assert str(total.current.ca) == "1155.81"  # the history's sum, read before the fold


class TestFold:
    async def test_a_sync_landing_during_the_fold_aborts_it_and_the_fold_runs_again(
        self, history: History, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        actor = actor_for_user(history.gerant)
        tenant = KpiTenant(history.gerant.id)
        await fold_all()
        await record(actor, history.paris, "2025-03-05", (history.alice, "7.00", 1, 1, 1))
        rollups = ROLLUPS()
        replace_one = rollups.replace_one
        landed = 0

        async def a_sync_lands_first(*args: Any, **kwargs: Any) -> Any:
            """The day written again after the fold read it, before the fold marks it."""
            nonlocal landed
            if not landed:
                landed += 1
                await record(actor, history.paris, "2025-03-05", (history.alice, "9.00", 1, 1, 1))
            return await replace_one(*args, **kwargs)

        monkeypatch.setattr(rollups, "replace_one", a_sync_lands_first)
        assert await projector.fold_month(
            tenant,
            history.paris.id,
            "2025-03",
            await pending_days(tenant, history.paris.id, "2025-03"),
        )
        monkeypatch.undo()

        assert landed == 1
        days = tenant.rollups(kind="store_day", store_id=history.paris.id, period="2025-03-05")
        day = await rollups.find_one(days)
        assert day is not None
        assert "unfolded" not in day  # folded again, with 9.00
        month = await rollups.find_one(
            {"_id": tenant.rollup_id(RollupKind.STORE_MONTH, "2025-03", history.paris.id)}
        )
        assert month is not None
        assert json.loads(month["days"])["2025-03-05"][0] == day["ca_cents"]
        assert await check_rollups() == []

    async def test_a_month_held_by_another_process_is_left_to_it(self, history: History) -> None:
        tenant = KpiTenant(history.gerant.id)
        month_id = tenant.rollup_id(RollupKind.STORE_MONTH, "2025-03", history.paris.id)
        await ROLLUPS().update_one(  # as another process's claim writes it
            tenant.one_rollup(month_id, history.paris.id),
            {"$set": {"fold_owner": "other", "fold_until": utcnow() + projector.LEASE}},
            upsert=True,
        )
        assert not await projector.fold_month(
            tenant,
            history.paris.id,
            "2025-03",
            await pending_days(tenant, history.paris.id, "2025-03"),
        )
        pending = await ROLLUPS().count_documents(
            tenant.rollups(store_id=history.paris.id, unfolded=True)
        )
        assert pending > 0
        await ROLLUPS().update_one({"_id": month_id}, {"$set": {"fold_until": utcnow()}})
        assert await projector.fold_month(
            tenant,
            history.paris.id,
            "2025-03",
            await pending_days(tenant, history.paris.id, "2025-03"),
        )
        assert await check_rollups() == []

    async def test_checking_waits_out_the_lease_of_a_process_killed_mid_fold(
        self, history: History
    ) -> None:
        tenant = KpiTenant(history.gerant.id)
        month_id = tenant.rollup_id(RollupKind.STORE_MONTH, "2025-03", history.paris.id)
        await ROLLUPS().update_one(  # its lease ends in a second, nobody to renew it
            tenant.one_rollup(month_id, history.paris.id),
            {"$set": {"fold_owner": "killed", "fold_until": utcnow() + timedelta(seconds=1)}},
            upsert=True,
        )

        assert await check_rollups() == []
        pending = tenant.rollups(store_id=history.paris.id, unfolded=True)
        assert await ROLLUPS().count_documents(pending) == 0
