"""What each subject (a caller, a principal) holds at once, counted across processes through
the rate limits' shared counters.

Each process counts what its subjects hold and publishes it in the counters' current window;
at each new window it publishes its holdings again. The others' holdings are known as of the
last sync (so a bound holds across processes within the sync interval), and those of a killed
process, published no more, are forgotten when the window it last published in ends: the
window is the lease.
"""

from dataclasses import dataclass, field

from infra.rate_limits import RateLimiter

LEASE_SECONDS = 60


def shared_holdings(name: str, lease: int = LEASE_SECONDS) -> RateLimiter:
    """The shared counters of one kind of holding (their limit is the holder's, not theirs)."""
    return RateLimiter(name, limit=0, period=lease, read_all=True)


@dataclass
class Holdings:
    tally: RateLimiter
    held: dict[str, int] = field(default_factory=dict)  # this process's, only subjects holding
    _window: int = 0

    def _renew(self) -> None:
        """Publish this process's holdings again in a window that has just begun."""
        self.tally.used("")  # starts the new window, if it has come
        if self.tally.window != self._window:
            self._window = self.tally.window
            for subject, count in self.held.items():
                self.tally.hit(subject, count)

    def count(self, subject: str) -> int:
        """What the subject holds: in this process now, in the others as last synced."""
        self._renew()
        return self.tally.used(subject)

    def hold(self, subject: str) -> None:
        self._renew()
        self.held[subject] = self.held.get(subject, 0) + 1
        self.tally.hit(subject)

    def release(self, subject: str) -> None:
        self._renew()
        count = self.held.get(subject, 0) - 1
        if count > 0:
            self.held[subject] = count
        elif self.held.pop(subject, None) is None:
            return  # nothing held here: nothing to give back
        self.tally.forget(subject, 1)

    async def sync(self) -> None:
        """Publish this process's holdings and read everyone's."""
        self._renew()
        await self.tally.sync()
