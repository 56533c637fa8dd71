"""Rate limits in fixed windows (one minute unless told): counted in process, shared through
MongoDB.

Each process counts exactly what it serves and adds, once a second or so, the counts the other
processes published; across processes a limit is therefore approximate within that interval.
No request waits on the database for this.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne

from models.rate_limit_counter import RateLimitCounter

WINDOW_SECONDS = 60
MAX_SUBJECTS = 100_000


@dataclass(frozen=True)
class WindowState:
    """What a client may still do in the current window (the RateLimit-* header values)."""

    limit: int
    remaining: int
    reset: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0


@dataclass
class RateLimiter:
    """One named limit (e.g. requests per key) over many subjects."""

    name: str
    limit: int
    clock: Callable[[], float] = time.time
    period: int = WINDOW_SECONDS  # the length of a window, in seconds
    # True: each sync reads every subject's total, not only those this process counted since
    # the last (for holdings, whose subjects are few and known before a process serves them).
    read_all: bool = False
    window: int = 0
    local: dict[str, int] = field(default_factory=dict)
    unsynced: dict[str, int] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)

    def _roll(self) -> int:
        now = self.clock()
        window = int(now // self.period) * self.period
        if window != self.window:
            self.window = window
            self.local.clear()
            self.unsynced.clear()
            if not self.read_all:  # holdings elsewhere outlast a window: kept till read again
                self.others.clear()
        return int(window + self.period - now) or 1

    def _used(self, subject: str) -> int:
        return max(0, self.local.get(subject, 0) + self.others.get(subject, 0))

    def _state(self, subject: str, reset: int) -> WindowState:
        return WindowState(
            limit=self.limit, remaining=self.limit - self._used(subject), reset=reset
        )

    def used(self, subject: str) -> int:
        """The subject's count in the current window: this process's, and the others' as of
        the last sync."""
        self._roll()
        return self._used(subject)

    def peek(self, subject: str) -> WindowState:
        """The subject's state without counting a request."""
        return self._state(subject, self._roll())

    def hit(self, subject: str, count: int = 1) -> WindowState:
        """Count `count` (one request unless told) for `subject` and return the state after."""
        reset = self._roll()
        if subject in self.local or len(self.local) < MAX_SUBJECTS:
            self.local[subject] = self.local.get(subject, 0) + count
            self.unsynced[subject] = self.unsynced.get(subject, 0) + count
        return self._state(subject, reset)

    def forget(self, subject: str, count: int | None = None) -> None:
        """Take back `count` of the subject's hits in this window, or every hit this process
        knows of (None), from the shared total: they turned out not to count (a success, for a
        limit on failures counted as they start)."""
        self._roll()
        taken = self._used(subject) if count is None else min(count, self._used(subject))
        if taken > 0 and (subject in self.local or len(self.local) < MAX_SUBJECTS):
            self.local[subject] = self.local.get(subject, 0) - taken
            self.unsynced[subject] = self.unsynced.get(subject, 0) - taken

    async def sync(self) -> None:
        """Publish this process's new counts and read everyone's totals (one round trip each)."""
        self._roll()
        window, pending, self.unsynced = self.window, self.unsynced, {}
        if not pending and not self.read_all:
            return
        expires_at = datetime.fromtimestamp(window + 2 * self.period, UTC)
        ids = {f"{self.name}:{subject}:{window}": subject for subject in pending}
        collection = RateLimitCounter.get_motor_collection()
        if pending:
            await collection.bulk_write(
                [
                    UpdateOne(
                        {"_id": doc_id},
                        {"$inc": {"hits": pending[subject]}, "$set": {"expires_at": expires_at}},
                        upsert=True,
                    )
                    for doc_id, subject in ids.items()
                ],
                ordered=False,
            )
        if window != self.window:
            return
        query: dict[str, Any] = {"_id": {"$in": list(ids)}}
        if self.read_all:  # this limit's documents, a range of the _id index (";" follows ":")
            query = {"_id": {"$gte": f"{self.name}:", "$lt": f"{self.name};"}}
        totals: dict[str, int] = {}
        async for document in collection.find(query):
            doc_id: str = document["_id"]
            if doc_id.endswith(f":{window}"):  # not an earlier window's, not yet expired
                subject = doc_id.removeprefix(f"{self.name}:").removesuffix(f":{window}")
                totals[subject] = int(document["hits"])
        if window != self.window:
            return
        if self.read_all:
            self.others = {}  # a subject nobody publishes any more is held nowhere else
        for subject, total in totals.items():
            # Everyone's total less what this process has published of its own (its hits since
            # the write are still to come): below zero when it took back hits others counted.
            published = self.local.get(subject, 0) - self.unsynced.get(subject, 0)
            self.others[subject] = total - published


@dataclass
class RateLimits:
    """The limits the edge enforces before any work."""

    per_key: RateLimiter
    auth_failures: RateLimiter
    anonymous: RateLimiter  # requests without an accepted credential, per client address

    @classmethod
    def build(cls, *, per_key: int, auth_failures: int, anonymous: int) -> "RateLimits":
        return cls(
            RateLimiter("key", per_key),
            RateLimiter("auth_fail", auth_failures),
            RateLimiter("anonymous", anonymous),
        )

    async def sync(self) -> None:
        await self.per_key.sync()
        await self.auth_failures.sync()
        await self.anonymous.sync()
