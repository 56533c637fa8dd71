"""Request counts per limited subject and one-minute window, shared by every API process."""

from beanie import Document
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime


class RateLimitCounter(Document):
    id: str  # type: ignore[assignment]  # "<limit>:<subject>:<window start>"
    hits: int = 0
    expires_at: UtcDateTime

    class Settings:
        name = "rate_limit_counters"
        indexes = [
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]
