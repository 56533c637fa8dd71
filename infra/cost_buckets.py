"""Leaky buckets of GraphQL query cost, one per caller, in this process.

Each bucket holds at most `capacity` points and fills again at `restore_rate` points a
second; a query takes its price from it before it runs, and is given back the difference
once its actual cost is known.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_CALLERS = 100_000


@dataclass
class CostBuckets:
    capacity: float
    restore_rate: float
    clock: Callable[[], float] = time.monotonic
    levels: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def available(self, caller: str) -> float:
        """The points the caller may spend now."""
        level, at = self.levels.get(caller, (self.capacity, self.clock()))
        return min(self.capacity, level + (self.clock() - at) * self.restore_rate)

    def _set(self, caller: str, level: float) -> None:
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
