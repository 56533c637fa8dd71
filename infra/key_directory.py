"""Every API key of the deployment by hash, in memory, kept current by a change stream.

Once loaded, a valid key costs no database round trip, and a deactivation, rotation or
deletion made by any process (console, GraphQL, CLI) shows here within QUIET_PAUSE_SECONDS.
A key not found here may have been created elsewhere a moment ago: it is looked up in the
database, at most MISS_LOOKUPS per second, so a flood of made-up keys costs the database
nothing more.
Where change streams are unavailable (a standalone mongod), the directory is never complete:
each key is then read from the database and trusted for at most `ttl` seconds.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pymongo.errors import PyMongoError

from models import ApiKey

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 5.0
RETRY_SECONDS = 1.0
# After an empty answer, before asking again: SecantusDB answers a change stream as soon as
# anything is written anywhere (MongoDB waits for a change), so every write woke each process.
QUIET_PAUSE_SECONDS = 0.25
MAX_FALLBACK_ENTRIES = 100_000
MISS_LOOKUPS = parse("20/second")
DOCUMENT_CHANGES = frozenset({"insert", "update", "replace", "delete"})


@dataclass
class KeyDirectory:
    ttl: float = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    by_hash: dict[str, tuple[ApiKey, float]] = field(default_factory=dict)
    complete: bool = False  # every key is here, and changes arrive as they are made
    misses: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage())
    )
    lookups: dict[str, asyncio.Future[ApiKey | None]] = field(default_factory=dict)

    def get(self, key_hash: str) -> ApiKey | None:
        """The key with this hash if known here (and, until complete, read less than `ttl`
        seconds ago)."""
        entry = self.by_hash.get(key_hash)
        if entry is None:
            return None
        api_key, fetched_at = entry
        if not self.complete and self.clock() - fetched_at >= self.ttl:
            del self.by_hash[key_hash]
            return None
        return api_key

    async def find(self, key_hash: str) -> ApiKey | None:
        """The key with this hash: from memory, else from the database, where a lookup is
        worth it (always until complete, then within MISS_LOOKUPS: keys created elsewhere
        arrive through the stream within ms). Concurrent requests for one hash share one
        lookup."""
        known = self.get(key_hash)
        if known is not None:
            return known
        pending = self.lookups.get(key_hash)
        if pending is None:
            if self.complete and not self.misses.hit(MISS_LOOKUPS, "miss"):
                return None
            pending = asyncio.ensure_future(self._fetch(key_hash))
            self.lookups[key_hash] = pending
            pending.add_done_callback(lambda _: self.lookups.pop(key_hash, None))
        return await asyncio.shield(pending)

    async def _fetch(self, key_hash: str) -> ApiKey | None:
        found = await ApiKey.find_one({"key_hash": key_hash})
        if found is not None:
            self.put(found)
        return found

    def put(self, api_key: ApiKey) -> None:
        if self.complete or len(self.by_hash) < MAX_FALLBACK_ENTRIES:
            self.by_hash[api_key.key_hash] = (api_key, self.clock())

    def drop(self, key_id: str) -> None:
        """Forget a key at once (changed by this process; the stream brings it back)."""
        for key_hash, (api_key, _) in list(self.by_hash.items()):
            if api_key.id == key_id:
                del self.by_hash[key_hash]

    async def _load(self) -> None:
        now = self.clock()
        found = await ApiKey.find_all().to_list()
        self.by_hash = {api_key.key_hash: (api_key, now) for api_key in found}

    async def _apply(self, change: dict[str, Any]) -> None:
        if change["operationType"] not in DOCUMENT_CHANGES:
            return  # a drop or an invalidation: the stream ends, and is opened again
        key_id = change["documentKey"]["_id"]
        self.drop(key_id)
        if change["operationType"] == "delete":
            return
        document = change.get("fullDocument")
        # An update's document is read again: SecantusDB leaves `fullDocument` empty there.
        current = ApiKey.model_validate(document) if document else await ApiKey.get(key_id)
        if current is not None:
            self.put(current)

    async def follow(self) -> None:
        """Load every key, then apply each change; run for the app's lifetime."""
        while True:
            try:
                collection = ApiKey.get_motor_collection()
                async with collection.watch() as stream:
                    await self._load()
                    self.complete = True
                    logger.info("key directory: %d keys, following changes", len(self.by_hash))
                    while stream.alive:
                        change = await stream.try_next()
                        if change is None:
                            await asyncio.sleep(QUIET_PAUSE_SECONDS)
                        else:
                            await self._apply(change)
            except PyMongoError as exc:
                if self.complete:
                    logger.warning("key directory: change stream lost (%s)", type(exc).__name__)
            self.complete = False
            self.by_hash.clear()
            await asyncio.sleep(RETRY_SECONDS)
