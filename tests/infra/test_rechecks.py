"""A principal's credential checks: all on its own ticks, one read a tick shared by all."""

import asyncio

import pytest

from infra.rechecks import Rechecks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loads:
    """Counts the loads, each answering its number; `gate` holds them until set."""

    def __init__(self) -> None:
        self.count = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> int:
        self.count += 1
        number = self.count
        await self.gate.wait()
        return number


async def test_every_check_of_a_tick_shares_one_read() -> None:
    clock, loads = Clock(), Loads()
    rechecks: Rechecks[int] = Rechecks(interval=1.0, clock=clock)
    loads.gate.clear()
    pending = [asyncio.create_task(rechecks.read("user_a", loads)) for _ in range(50)]
    await asyncio.sleep(0)
    loads.gate.set()
    assert await asyncio.gather(*pending) == [1] * 50
    assert await rechecks.read("user_a", loads) == 1  # later in the same tick
    assert await rechecks.read("user_b", loads) == 2  # another principal reads his own
    clock.now += rechecks.due_in("user_a")
    assert await rechecks.read("user_a", loads) == 3  # the next tick reads again
    assert loads.count == 3


async def test_checks_fall_on_the_principals_ticks() -> None:
    clock = Clock()
    rechecks: Rechecks[int] = Rechecks(interval=1.0, clock=clock)
    first = rechecks.due_in("user_a")
    assert 0 < first <= 1.0
    clock.now += first / 2
    assert rechecks.due_in("user_a") == pytest.approx(first / 2)
    clock.now += first / 2
    assert rechecks.due_in("user_a") == pytest.approx(1.0)  # on a tick: the next is a period on


async def test_a_failed_read_is_shared_in_its_tick_and_tried_again_at_the_next() -> None:
    clock = Clock()
    rechecks: Rechecks[int] = Rechecks(interval=1.0, clock=clock)
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        raise ConnectionError("database down")

    for _ in range(3):
        with pytest.raises(ConnectionError):
            await rechecks.read("user_a", failing)
    clock.now += rechecks.due_in("user_a")
    with pytest.raises(ConnectionError):
        await rechecks.read("user_a", failing)
    assert calls == 2


async def test_reads_no_check_asks_for_are_forgotten() -> None:
    clock, loads = Clock(), Loads()
    rechecks: Rechecks[int] = Rechecks(interval=1.0, clock=clock)
    await rechecks.read("user_a", loads)
    clock.now += 3.0
    await rechecks.read("user_b", loads)
    assert set(rechecks.reads) == {"user_b"}
