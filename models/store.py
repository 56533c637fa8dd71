"""Stores (magasins) of a tenant."""

from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id

ACTIVE_NAME_UNIQUE_INDEX = "tenant_active_name_unique"
EXTERNAL_ID_UNIQUE_INDEX = "tenant_external_id_unique"
UPDATED_INDEX = "tenant_updated"


def name_key(name: str) -> str:
    """The form of a store name that uniqueness is checked on (case-insensitive)."""
    return " ".join(name.split()).casefold()


class Store(Document):
    id: str = Field(default_factory=partial(new_id, "store"))  # type: ignore[assignment]
    gerant_id: str
    name: str
    name_key: str
    location: str
    address: str | None = None
    phone: str | None = None
    opening_hours: str | None = None
    external_id: str | None = None
    active: bool = True
    created_at: UtcDateTime = Field(default_factory=utcnow)
    updated_at: UtcDateTime = Field(default_factory=utcnow)
    operation_id: str | None = None  # the operation that created it (models/operations.py)

    class Settings:
        name = "stores"
        indexes = [
            OPERATION_INDEX,
            IndexModel(
                [("gerant_id", ASCENDING), ("name_key", ASCENDING)],
                unique=True,
                name=ACTIVE_NAME_UNIQUE_INDEX,
                partialFilterExpression={"active": True},
            ),
            IndexModel(
                [("gerant_id", ASCENDING), ("external_id", ASCENDING)],
                unique=True,
                name=EXTERNAL_ID_UNIQUE_INDEX,
                partialFilterExpression={"external_id": {"$type": "string"}},
            ),
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", ASCENDING)], name="tenant_created"
            ),
            # Incremental reads: `GET /stores?updated_since=…`.
            IndexModel([("gerant_id", ASCENDING), ("updated_at", ASCENDING)], name=UPDATED_INDEX),
            # Pages by id (`starting_after`): SecantusDB scans the collection for a tenant and
            # an `_id` range without it.
            IndexModel([("gerant_id", ASCENDING), ("_id", ASCENDING)], name="tenant_id"),
        ]
