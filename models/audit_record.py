"""One API call (or refused authentication) in the audit trail; never holds a key or token."""

from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.clock import UtcDateTime
from models.ids import new_id


class AuditRecord(Document):
    id: str = Field(default_factory=partial(new_id, "call"))  # type: ignore[assignment]
    time: UtcDateTime
    expires_at: UtcDateTime
    gerant_id: str | None = None
    key_id: str | None = None
    key_prefix: str | None = None
    user_id: str | None = None
    method: str
    path: str
    operation: str | None = None
    status: int
    latency_ms: float
    request_id: str
    client_ip: str | None = None
    user_agent: str | None = None
    idempotency_key: str | None = None
    auth_failure: str | None = None

    class Settings:
        name = "audit_records"
        indexes = [
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
            IndexModel(
                [("gerant_id", ASCENDING), ("time", DESCENDING), ("_id", DESCENDING)],
                name="tenant_time",
            ),
        ]
