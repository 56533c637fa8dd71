"""Leaky buckets of GraphQL query cost (or of time), one per caller, shared across processes.

Each bucket holds at most `capacity` points and fills again at `restore_rate` points a
second; a query takes its price from it before it runs, and is given back the difference
once its actual cost is known.

With a `tally` (the rate limits' shared counters), every process publishes what its callers
spent and, at each sync, takes from its own buckets what the other processes' callers spent:
a bucket drained on one process is empty on all of them within the sync interval.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from infra.rate_limits import RateLimiter

MAX_CALLERS = 100_000
SHARED_UNITS = 1000  # points are shared in thousandths: the counters are integers
SHARED_WINDOW_SECONDS = 3600  # a tally's window: spending in flight at its end is not shared


def shared_tally(name: str) -> RateLimiter:
    """The shared counters of one kind of bucket (their limit is the bucket's, not theirs)."""
    return RateLimiter(name, limit=0, period=SHARED_WINDOW_SECONDS)


@dataclass
class CostBuckets:
    capacity: float
    restore_rate: float
    clock: Callable[[], float] = time.monotonic
    levels: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)
    tally: RateLimiter | None = None

    def available(self, caller: str) -> float:
        """The points the caller may spend now."""
        level, at = self.levels.get(caller, (self.capacity, self.clock()))
        return min(self.capacity, level + (self.clock() - at) * self.restore_rate)

    def _set(self, caller: str, level: float) -> None:
        if self.tally is not None:
            spent = round((self.available(caller) - level) * SHARED_UNITS)
            if spent > 0:
                self.tally.hit(caller, spent)
            elif spent < 0:
                self.tally.forget(caller, -spent)
        self._store(caller, level)

    def _store(self, caller: str, level: float) -> None:
        self.levels[caller] = (level, self.clock())
        self.levels.move_to_end(caller)
        if len(self.levels) > MAX_CALLERS:
            self.levels.popitem(last=False)  # the longest idle, refilled by now anyway

    def take(self, caller: str, cost: float) -> float | None:
        """Spend `cost` and return what is left, or None (spending nothing) if it is not there.
        A cost below 0 spends nothing: nothing ever adds to a bucket but time and refunds."""
        cost = max(0.0, cost)
        available = self.available(caller)
        if cost > available:
            return None
        self._set(caller, available - cost)
        return available - cost

    def spend(self, caller: str, cost: float) -> None:
        """Spend `cost` whatever is left: the caller may owe points, and waits until they are
        back (`seconds_until`)."""
        self._set(caller, self.available(caller) - max(0.0, cost))

    def give_back(self, caller: str, points: float) -> None:
        """Return `points` a query took and did not use (never below 0: a refund takes nothing)."""
        self._set(caller, min(self.capacity, self.available(caller) + max(0.0, points)))

    def seconds_until(self, caller: str, cost: float) -> float:
        """How long until `cost` points are there."""
        return max(0.0, (cost - self.available(caller)) / self.restore_rate)

    async def sync(self) -> None:
        """Publish this process's spending and take the others' from its buckets."""
        if self.tally is None:
            return
        window, before = self.tally.window, dict(self.tally.others)
        await self.tally.sync()
        if self.tally.window != window:
            before = {}
        for caller, spent in self.tally.others.items():
            points = (spent - before.get(caller, 0)) / SHARED_UNITS
            if points:
                self._store(caller, min(self.capacity, self.available(caller) - points))
