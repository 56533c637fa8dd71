"""A short in-process cache of API keys by hash: a valid key mostly costs no round trip.

Trade-off: a key deactivated or rotated by another process keeps working here for at most
`ttl` seconds; in the process that made the change it is dropped at once.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from models import ApiKey

DEFAULT_TTL_SECONDS = 5.0


@dataclass
class KeyCache:
    ttl: float = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    entries: dict[str, tuple[ApiKey, float]] = field(default_factory=dict)

    def get(self, key_hash: str) -> ApiKey | None:
        """The cached key for this hash, if fetched less than `ttl` seconds ago."""
        entry = self.entries.get(key_hash)
        if entry is None:
            return None
        api_key, fetched_at = entry
        if self.clock() - fetched_at >= self.ttl:
            del self.entries[key_hash]
            return None
        return api_key

    def put(self, api_key: ApiKey) -> None:
        self.entries[api_key.key_hash] = (api_key, self.clock())

    def drop(self, key_id: str) -> None:
        """Forget a key at once (deactivated, rotated or expired by this process)."""
        for key_hash, (api_key, _) in list(self.entries.items()):
            if api_key.id == key_id:
                del self.entries[key_hash]
