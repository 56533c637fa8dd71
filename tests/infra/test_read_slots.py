"""A caller's costly reads: so many at once and a share of the time; the next ones wait their
turn, a few at most and not too long."""

import asyncio

import httpx

from infra.cost_buckets import shared_tally
from infra.read_slots import ReadSlots


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def slots(per_caller: int = 1, max_waiting: int = 1, clock: Clock | None = None) -> ReadSlots:
    return ReadSlots(
        per_caller=per_caller,
        max_waiting=max_waiting,
        share=0.5,
        burst=1.0,
        max_wait=2.0,
        clock=clock or Clock(),
    )


async def test_a_callers_reads_take_turns_and_others_do_not_wait() -> None:
    reads = slots()
    order: list[str] = []
    release = asyncio.Event()

    async def read(caller: str, name: str) -> None:
        async with reads.slot(caller):
            order.append(f"{name} starts")
            await release.wait()
            order.append(f"{name} ends")

    first = asyncio.create_task(read("a", "a1"))
    second = asyncio.create_task(read("a", "a2"))
    other = asyncio.create_task(read("b", "b1"))
    await asyncio.sleep(0.01)
    assert order == ["a1 starts", "b1 starts"]  # a2 waits for a1; b does not wait for a
    assert reads.refusal("a") == 1.0  # one running, one waiting: the next is refused
    assert reads.refusal("b") is None
    release.set()
    await asyncio.gather(first, second, other)
    assert order.index("a2 starts") > order.index("a1 ends")
    assert reads.refusal("a") is None
    # Callers with nothing running or waiting are forgotten.
    assert reads.in_flight.held == {}
    assert reads._slots == {}


async def test_a_read_cancelled_while_waiting_gives_its_place_back() -> None:
    reads = slots(max_waiting=0)
    release = asyncio.Event()

    async def read() -> None:
        async with reads.slot("a"):
            await release.wait()

    running = asyncio.create_task(read())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(read())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert reads.in_flight.held == {"a": 1}
    release.set()
    await running
    assert reads.in_flight.held == {}


async def test_a_caller_who_took_his_time_waits_for_it() -> None:
    clock = Clock()
    reads = slots(clock=clock)  # 1 s at once, then half of each second

    async with reads.slot("a"):
        clock.now += 3  # a read of 3 s: 2 s owed, back in 4 s
    assert reads.refusal("a") == 4.0  # longer than the 2 s a read may wait: refused
    assert reads.refusal("b") is None
    clock.now += 3
    assert reads.refusal("a") is None  # 1 s to wait: the read waits its turn
    clock.now += 1
    async with reads.slot("a"):
        clock.now += 0.5
    assert reads.refusal("a") is None


async def test_a_read_queued_behind_a_long_one_is_told_to_retry_not_kept_waiting() -> None:
    clock = Clock()
    reads = slots(clock=clock)
    release = asyncio.Event()
    gave: list[float | None] = []

    async def first() -> None:
        async with reads.slot("a") as late:
            gave.append(late)
            await release.wait()
            clock.now += 3  # 2 s owed when it ends: back in 4 s

    async def queued() -> None:
        async with reads.slot("a") as late:
            gave.append(late)

    running = asyncio.create_task(first())
    await asyncio.sleep(0)
    assert reads.refusal("a") is None  # nothing owed yet: it may queue
    waiting = asyncio.create_task(queued())
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(running, waiting)
    assert gave == [None, 4.0]  # its turn came too late: it does not run, and takes nothing
    assert reads.refusal("a") == 4.0


async def test_the_time_share_is_shared_between_processes(client: httpx.AsyncClient) -> None:
    del client  # binds the documents to the test database
    clock = Clock()
    here, there = (
        ReadSlots(
            per_caller=1,
            max_waiting=1,
            share=0.5,
            burst=1.0,
            max_wait=2.0,
            clock=clock,
            tally=shared_tally("summary_time"),
        )
        for _ in range(2)
    )
    async with here.slot("a") as refused:
        assert refused is None
        clock.now += 3.0  # a read of 3 s: the caller owes 2 s
    await here.sync()
    assert there.refusal("a") is None  # not synced yet: within the interval
    async with there.slot("a") as refused:
        assert refused is None
        clock.now += 0.5
    await there.sync()
    assert there.refusal("a") == 5.0  # owes 0.5 + 2 s: 5 s to wait, over max_wait


async def test_reads_in_flight_are_counted_across_processes(client: httpx.AsyncClient) -> None:
    """One read running and one waiting in one process: the caller's next is refused in the
    other once both have synced, and accepted again once they ended."""
    del client
    here, there = slots(), slots()
    release = asyncio.Event()

    async def read() -> None:
        async with here.slot("a"):
            await release.wait()

    reading = [asyncio.create_task(read()) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert there.refusal("a") is None  # not synced yet: within the interval
    await here.sync()
    await there.sync()
    assert there.refusal("a") == 1.0
    assert there.refusal("b") is None
    release.set()
    await asyncio.gather(*reading)
    await here.sync()
    await there.sync()
    assert there.refusal("a") is None
