"""Costly reads (queries that read KPI summaries) of each caller: so many at once in a process,
so many running or waiting in all of them, and a share of the time. The next ones wait their
turn, so one caller's reports, however many and however often, cannot take the database and
the event loop from everyone else (as GitHub bounds the compute time of each caller, not only
its requests). What crosses processes (reads in flight, time) is shared through the rate
limits' counters: within their sync interval."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from infra.cost_buckets import CostBuckets
from infra.holdings import Holdings, shared_holdings
from infra.rate_limits import RateLimiter


@dataclass
class ReadSlots:
    """`per_caller` reads at once in a process, `per_caller + max_waiting` running or waiting
    in all of them (`in_flight`: in this process alone unless synced); the caller's reads take
    his time credit: `burst` seconds from idle, refilled at `share` of a second a second. A
    read waits for the credit to be back, unless that is over `max_wait` seconds (then
    refused)."""

    per_caller: int
    max_waiting: int
    share: float
    burst: float
    max_wait: float
    clock: Callable[[], float] = time.monotonic
    tally: RateLimiter | None = None  # shares the time credit with other processes
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    in_flight: Holdings = field(default_factory=lambda: Holdings(shared_holdings("summary_reads")))
    _time: CostBuckets = field(init=False)

    def __post_init__(self) -> None:
        self._time = CostBuckets(
            capacity=self.burst, restore_rate=self.share, clock=self.clock, tally=self.tally
        )

    async def sync(self) -> None:
        """Share the callers' reads in flight and time credit with the other processes (the
        rate limits' way)."""
        await self.in_flight.sync()
        await self._time.sync()

    def refusal(self, caller: str) -> float | None:
        """Seconds to retry after, if the caller's next read cannot wait its turn: his slots
        and queue are full, or his time comes back too late; else None."""
        if self.in_flight.count(caller) >= self.per_caller + self.max_waiting:
            return 1.0
        wait = self._time.seconds_until(caller, 0.0)
        return wait if wait > self.max_wait else None

    @asynccontextmanager
    async def slot(self, caller: str) -> AsyncIterator[float | None]:
        """Hold one of the caller's slots once one is free. Gives None when the read may run,
        his time credit being back (the read's duration is then taken from it); or, when it
        would come back more than `max_wait` seconds later (reads queued before this one took
        it), those seconds: the read must not run."""
        semaphore = self._slots.setdefault(caller, asyncio.Semaphore(self.per_caller))
        self.in_flight.hold(caller)
        try:
            async with semaphore:
                wait = self._time.seconds_until(caller, 0.0)
                if wait > self.max_wait:
                    yield wait
                    return
                await asyncio.sleep(wait)
                started = self.clock()
                try:
                    yield None
                finally:
                    self._time.spend(caller, self.clock() - started)
        finally:
            self.in_flight.release(caller)
            if caller not in self.in_flight.held:  # nobody left here: forget the caller
                del self._slots[caller]
