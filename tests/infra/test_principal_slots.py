"""Slots per principal: at most the limit each, given back one by one, others unaffected; held
across processes, and a killed process's given back when its lease ends."""

import httpx

from infra.holdings import LEASE_SECONDS, Holdings, shared_holdings
from infra.principal_slots import PrincipalSlots, SharedSlots


class Clock:
    def __init__(self) -> None:
        self.now = 6000.0

    def __call__(self) -> float:
        return self.now


def shared(limit: int, clock: Clock | None = None) -> SharedSlots:
    tally = shared_holdings("connections")
    if clock is not None:
        tally.clock = clock
    return SharedSlots(limit=limit, holdings=Holdings(tally))


async def test_a_principal_holds_at_most_the_limit() -> None:
    slots: PrincipalSlots = shared(limit=2)
    assert [await slots.take("key:a") for _ in range(3)] == [True, True, False]
    assert await slots.take("user:b")  # another principal has his own
    await slots.give_back("key:a")
    assert await slots.take("key:a")
    assert not await slots.take("key:a")


async def test_a_principal_holding_none_is_forgotten() -> None:
    slots = shared(limit=1)
    await slots.take("key:a")
    await slots.give_back("key:a")
    assert slots.held == {}


async def test_slots_taken_in_one_process_are_held_in_the_others(
    client: httpx.AsyncClient,
) -> None:
    del client  # binds the documents to the test database
    here, there = shared(limit=2), shared(limit=2)
    assert await here.take("key:a")
    assert await there.take("key:a")  # not synced yet: within the interval
    await here.sync()
    await there.sync()  # learns of "key:a" although it never served it since
    assert not await there.take("key:a")
    await here.give_back("key:a")
    await here.sync()
    await there.sync()
    assert await there.take("key:a")
    assert not await there.take("key:a")


async def test_a_killed_process_s_slots_come_back_when_its_lease_ends(
    client: httpx.AsyncClient,
) -> None:
    del client
    clock = Clock()
    killed, alive = shared(limit=2, clock=clock), shared(limit=2, clock=clock)
    assert [await killed.take("key:a") for _ in range(2)] == [True, True]
    assert await alive.take("user:b")
    await killed.sync()
    await alive.sync()
    assert not await alive.take("key:a")
    clock.now += LEASE_SECONDS  # the next window: the living publish their holdings again
    await alive.sync()
    assert await alive.take("key:a")  # the killed process's two are forgotten
    fresh = shared(limit=1, clock=clock)
    await fresh.sync()
    assert not await fresh.take("user:b")  # held by the living, published again
