"""Several store-days written in one transaction (an import's batch), on SecantusDB: their
new entries in one command, their store days and events in another; and still exact when one
of them moves a seller out of another's store-day."""

from decimal import Decimal

import pytest

from infra.event_log import DEFAULT_EVENT_LOG
from models import Event, Role, Store, User
from resolvers.kpi.figures import DayLine
from resolvers.kpi.rollup_admin import check_rollups
from resolvers.kpi.scope import KpiTenant
from resolvers.kpi.sync import Batch, KpiSyncCounts, store_day_batch, write_store_days
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.round_trips import commands_on

pytestmark = pytest.mark.usefixtures("client")


def day_of(store: Store, day: str, sellers: list[User], amount: str = "10.00") -> Batch:
    lines = [(DayLine(seller.id, Decimal(amount), 1, 2, 0), None) for seller in sellers]
    return store_day_batch(
        tenant=KpiTenant(store.gerant_id),
        store_id=store.id,
        day=day,
        source="kpi_import",
        entries=lines,
        movers=(),  # as for sellers who never changed stores
        events=DEFAULT_EVENT_LOG,
    )


async def test_store_days_apart_are_written_in_two_commands(settings: Settings) -> None:
    gerant = await make_gerant()
    stores = [await make_store(gerant) for _ in range(3)]
    teams = [[await make_user(gerant, Role.SELLER, store) for _ in range(2)] for store in stores]
    batches = [day_of(store, "2025-03-01", team) for store, team in zip(stores, teams, strict=True)]

    assert settings.mongodb_url is not None
    with commands_on(settings.mongodb_url.rsplit("/", 1)[1]) as seen:
        counts = await write_store_days(batches)

    assert counts == [KpiSyncCounts(created=2, updated=0)] * 3
    # Each store's day read, then one insert of the six entries and one bulkWrite of the rest.
    assert [name for name, _ in seen] == ["find"] * 3 + ["insert", "bulkWrite"]
    assert await Event.find({"gerant_id": gerant.id, "type": "kpi.synced"}).count() == 3
    assert await check_rollups() == []


async def test_a_seller_moved_out_of_another_batchs_store_day_leaves_both_days_exact() -> None:
    gerant = await make_gerant()
    first, second = await make_store(gerant), await make_store(gerant)
    mover = await make_user(gerant, Role.SELLER, first)
    stayer = await make_user(gerant, Role.SELLER, second)
    await write_store_days([day_of(second, "2025-03-01", [mover, stayer], "5.00")])

    # The first store's day takes the mover's entry from the second's, written beside it; not
    # told he moved, its upsert finds his entry elsewhere, and the write is tried again.
    counts = await write_store_days(
        [day_of(first, "2025-03-01", [mover]), day_of(second, "2025-03-01", [stayer], "7.00")]
    )

    assert counts == [KpiSyncCounts(created=0, updated=1), KpiSyncCounts(created=0, updated=1)]
    assert await check_rollups() == []
