"""When a principal's credentials are checked again in this process, and the reads those checks
share: however many subscriptions and connections a principal holds, its checks fall on the
same ticks, and the first check of a tick reads (its user, say) for all the others.

Each principal's ticks are `interval` apart, shifted by a phase of its own (from its id), so
the principals' reads spread over the interval instead of all falling at once.
"""

import asyncio
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

ValueT = TypeVar("ValueT")
PHASES = 1000


@dataclass
class Rechecks(Generic[ValueT]):
    interval: float
    clock: Callable[[], float] = time.monotonic
    # By principal: the tick a read was made for, and the read (done or in flight).
    reads: dict[str, tuple[int, asyncio.Future[ValueT]]] = field(default_factory=dict)
    pruned: int = 0  # the last tick (of the clock itself) old reads were forgotten at

    def _phase(self, principal: str) -> float:
        return zlib.crc32(principal.encode()) % PHASES / PHASES * self.interval

    def _tick(self, principal: str) -> int:
        return math.floor((self.clock() - self._phase(principal)) / self.interval)

    def due_in(self, principal: str) -> float:
        """Seconds until the principal's next tick, when its checks are due."""
        following = (self._tick(principal) + 1) * self.interval + self._phase(principal)
        return max(0.0, following - self.clock())

    async def read(self, principal: str, load: Callable[[], Awaitable[ValueT]]) -> ValueT:
        """What `load` gives for the principal at its current tick: loaded by the first caller
        of the tick, shared with every other (concurrent or later) caller of that tick."""
        tick = self._tick(principal)
        held = self.reads.get(principal)
        if held is None or held[0] != tick:
            self._forget_old()
            held = (tick, asyncio.ensure_future(load()))
            self.reads[principal] = held
        return await asyncio.shield(held[1])

    def _forget_old(self) -> None:
        """Drop, once a tick, the reads of principals no check asked for since their last tick."""
        now = math.floor(self.clock() / self.interval)
        if now == self.pruned:
            return
        self.pruned = now
        self.reads = {
            principal: (tick, read)
            for principal, (tick, read) in self.reads.items()
            if tick >= self._tick(principal) - 1 or not read.done()
        }
