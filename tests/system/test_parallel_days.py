"""Days of one store synced at once, over HTTP on SecantusDB: each writes its own store day and
no month document, so none conflicts with another (the months are folded afterwards)."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from contract.credentials import actor_for_user
from models import Role
from resolvers.kpi.rollup_admin import check_rollups
from resolvers.kpi.summaries import KpiGroupBy, kpi_summary
from rpai.settings import Settings
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import period

pytestmark = pytest.mark.usefixtures("client")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A database budget that 31 syncs at once fit in on a loaded CI machine: what is tested
    here is that days do not conflict (a conflict outlasting its retries answers 503 too)."""
    return settings.model_copy(update={"db_timeout_seconds": 30})


SELLERS = 20
DAYS = [(date(2025, 3, 1) + timedelta(days=n)).isoformat() for n in range(31)]


async def test_a_months_days_sent_at_once_all_answer_200_the_first_time(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(SELLERS)]
    key = await make_key(gerant)

    async def sync(day: str) -> int:
        entries = [
            {"seller_id": seller.id, "ca_journalier": "10.01", "nb_ventes": 1, "nb_articles": 2}
            for seller in sellers
        ]
        body = {"store_id": store.id, "date": day, "kpi_entries": entries}
        response = await client.post("/api/integrations/kpi/sync", json=body, headers=headers(key))
        if response.status_code != 200:
            refusals.append(response.text)  # why: a conflict, or the database budget
        return response.status_code

    refusals: list[str] = []
    statuses = await asyncio.gather(*(sync(day) for day in DAYS))

    assert statuses == [200] * len(DAYS), refusals[:3]
    month = period(**{"from": DAYS[0], "to": DAYS[-1]})
    [total] = await kpi_summary(
        actor=actor_for_user(gerant), kpi_filter=month, group_by=KpiGroupBy.TOTAL
    )
    assert total.current.ca == Decimal("10.01") * SELLERS * len(DAYS)  # read before any fold
    assert total.current.nb_ventes == SELLERS * len(DAYS)
    assert await check_rollups() == []  # folded, the month agrees with the entries
