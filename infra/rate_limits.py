"""Rate limits in fixed one-minute windows: counted in process, shared through MongoDB.

Each process counts exactly what it serves and adds, once a second or so, the counts the other
processes published; across processes a limit is therefore approximate within that interval.
No request waits on the database for this.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

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


def subject_of(credential: str) -> str:
    """A non-secret, stable name for a credential (never store or log the credential itself)."""
    return hashlib.sha256(credential.encode()).hexdigest()[:32]


@dataclass
class RateLimiter:
    """One named limit (e.g. requests per key) over many subjects."""

    name: str
    limit: int
    clock: Callable[[], float] = time.time
    window: int = 0
    local: dict[str, int] = field(default_factory=dict)
    unsynced: dict[str, int] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)

    def _roll(self) -> int:
        now = self.clock()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        if window != self.window:
            self.window = window
            self.local.clear()
            self.unsynced.clear()
            self.others.clear()
        return int(window + WINDOW_SECONDS - now) or 1

    def _state(self, subject: str, reset: int) -> WindowState:
        used = self.local.get(subject, 0) + self.others.get(subject, 0)
        return WindowState(limit=self.limit, remaining=self.limit - used, reset=reset)

    def peek(self, subject: str) -> WindowState:
        """The subject's state without counting a request."""
        return self._state(subject, self._roll())

    def hit(self, subject: str) -> WindowState:
        """Count one request for `subject` and return the state after it."""
        reset = self._roll()
        if subject in self.local or len(self.local) < MAX_SUBJECTS:
            self.local[subject] = self.local.get(subject, 0) + 1
            self.unsynced[subject] = self.unsynced.get(subject, 0) + 1
        return self._state(subject, reset)

    async def sync(self) -> None:
        """Publish this process's new counts and read everyone's totals (one round trip each)."""
        self._roll()
        window, pending, self.unsynced = self.window, self.unsynced, {}
        if not pending:
            return
        expires_at = datetime.fromtimestamp(window + 2 * WINDOW_SECONDS, UTC)
        ids = {f"{self.name}:{subject}:{window}": subject for subject in pending}
        collection = RateLimitCounter.get_motor_collection()
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
        async for document in collection.find({"_id": {"$in": list(ids)}}):
            subject = ids[document["_id"]]
            self.others[subject] = max(0, int(document["hits"]) - self.local.get(subject, 0))


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
