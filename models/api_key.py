"""Integration API keys; only a SHA-256 hash of the key is stored."""

from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id


class ApiKey(Document):
    id: str = Field(default_factory=partial(new_id, "key"))  # type: ignore[assignment]
    gerant_id: str
    name: str
    prefix: str
    key_hash: str
    permissions: list[str]
    store_ids: list[str] | None = None
    expires_at: UtcDateTime | None = None
    lifetime_days: int | None = None  # what each rotation gives the new key, counted from then
    active: bool = True
    created_at: UtcDateTime = Field(default_factory=utcnow)
    last_used_at: UtcDateTime | None = None
    # Set when the key is rotated: the key that replaces it, and when.
    replaced_by: str | None = None
    replaced_at: UtcDateTime | None = None
    operation_id: str | None = None  # the operation that created it (models/operations.py)
    # When its `api_key.expiring` event was recorded (once, resolvers/api_key_expiry.py).
    expiring_recorded_at: UtcDateTime | None = None

    class Settings:
        name = "api_keys"
        indexes = [
            OPERATION_INDEX,
            IndexModel([("key_hash", ASCENDING)], unique=True, name="key_hash_unique"),
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", ASCENDING)], name="tenant_created"
            ),
            IndexModel([("expires_at", ASCENDING)], name="expiry"),
        ]
