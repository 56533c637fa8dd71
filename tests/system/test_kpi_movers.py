"""A sync looks for its sellers' entries of the day in other stores only for sellers who may
have one there: those who changed stores, and those stored before that was recorded. On
SecantusDB, commands counted: a seller who never moved costs no read, and a mover's entry is
taken from his former store's day at the first attempt."""

from typing import Any

import pytest

from contract.actor import Actor
from contract.validation import parse
from models import KpiRollup, Role, Store, User
from resolvers.kpi.rollup_admin import check_rollups
from resolvers.kpi.sync import KpiSync, sync_kpis
from resolvers.users import move_seller
from rpai.settings import Settings
from tests.support.factories import make_actor, make_gerant, make_store, make_user
from tests.support.round_trips import commands_on

pytestmark = pytest.mark.usefixtures("client")

DAY = "2025-03-04"


async def sync(actor: Actor, store: Store, sellers: list[User], amount: str) -> None:
    entries = [
        {"seller_id": seller.id, "ca_journalier": amount, "nb_ventes": 1, "nb_articles": 1}
        for seller in sellers
    ]
    data = {"store_id": store.id, "date": DAY, "kpi_entries": entries}
    await sync_kpis(actor=actor, data=parse(KpiSync, data))


async def counted(settings: Settings, actor: Actor, store: Store, sellers: list[User]) -> Any:
    """The commands on the entries of a sync of `sellers` in `store` (its one write, a
    bulkWrite, writes the store days and the event too)."""
    assert settings.mongodb_url is not None
    with commands_on(settings.mongodb_url.rsplit("/", 1)[1]) as seen:
        await sync(actor, store, sellers, "7.00")
    return [name for name, target in seen if target == "kpi_entries" or name == "bulkWrite"]


async def store_days() -> dict[str, int]:
    found = KpiRollup.get_motor_collection().find({"kind": "store_day"})
    return {document["store_id"]: document["ca_cents"] async for document in found}


async def test_a_moved_seller_s_day_is_taken_from_his_former_store(settings: Settings) -> None:
    gerant = await make_gerant()
    actor = await make_actor(gerant)
    first, second = await make_store(gerant), await make_store(gerant)
    mover, stayer = [await make_user(gerant, Role.SELLER, first) for _ in range(2)]
    await sync(actor, first, [mover, stayer], "5.00")
    await move_seller(actor=actor, user_id=mover.id, store_id=second.id, manager_id=None)

    commands = await counted(settings, actor, second, [mover])

    # The store's day, the mover's entries elsewhere, his former store's day, one write: not
    # tried twice.
    assert commands == ["find", "find", "find", "bulkWrite"]
    assert await store_days() == {first.id: 500, second.id: 700}
    assert await check_rollups() == []


async def test_a_seller_who_never_moved_costs_no_read_elsewhere(settings: Settings) -> None:
    gerant = await make_gerant()
    actor = await make_actor(gerant)
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    await sync(actor, store, [seller], "5.00")

    assert await counted(settings, actor, store, [seller]) == ["find", "bulkWrite"]
    assert await store_days() == {store.id: 700}


async def moved_behind_the_rules(moved: bool | None) -> tuple[Actor, Store, Store, User]:
    """A seller whose day was synced in a first store, then put in a second one without
    `move_seller`, his `moved` set to `moved` (None: absent); the actor, both stores, him."""
    gerant = await make_gerant()
    actor = await make_actor(gerant)
    first, second = await make_store(gerant), await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, first)
    await sync(actor, first, [seller], "5.00")
    recorded = {"$unset": {"moved": ""}} if moved is None else {"$set": {"moved": moved}}
    await User.get_motor_collection().update_one(
        {"_id": seller.id}, {"$set": {"store_id": second.id}}
    )
    await User.get_motor_collection().update_one({"_id": seller.id}, recorded)
    return actor, first, second, seller


async def test_a_seller_stored_before_moves_were_recorded_counts_as_a_mover(
    settings: Settings,
) -> None:
    # Moved by an older version, which did not record it.
    actor, first, second, seller = await moved_behind_the_rules(None)

    assert await counted(settings, actor, second, [seller]) == ["find", "find", "find", "bulkWrite"]
    assert await store_days() == {first.id: 0, second.id: 700}
    assert await check_rollups() == []


async def test_an_entry_found_elsewhere_for_a_seller_not_known_to_move_is_still_moved(
    settings: Settings,
) -> None:
    """A move committed between the sync's look at its sellers and its transaction (here: the
    record of the move undone): the entry's insert meets the one in the other store (a
    duplicate) and the write is tried again, reading every seller's entries elsewhere."""
    actor, first, second, seller = await moved_behind_the_rules(False)

    commands = await counted(settings, actor, second, [seller])

    assert commands == ["find", "insert", "find", "find", "find", "bulkWrite"]
    assert await store_days() == {first.id: 0, second.id: 700}
    assert await check_rollups() == []
