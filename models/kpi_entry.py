"""Daily KPI entries, one per seller per date."""

from beanie import DecimalAnnotation, Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import new_id

SELLER_DATE_UNIQUE_INDEX = "seller_date_unique"
TENANT_STORE_DATE_INDEX = "tenant_store_date"
# Serves KPI reads over a period: the tenant and date range, in (date, store, seller) order.
TENANT_DATE_STORE_SELLER_INDEX = "tenant_date_store_seller"
# Serves a sync's read of its sellers' entries of the day in other stores (those it moves): the
# embedded database walks no index for a `$in` after a gap in the index's fields.
TENANT_DATE_SELLER_INDEX = "tenant_date_seller"


def new_entry_id() -> str:
    """The id of a new entry, made here only (a sync's upserts set it on insert)."""
    return new_id("kpi")


class KpiEntry(Document):
    id: str = Field(default_factory=new_entry_id)  # type: ignore[assignment]
    gerant_id: str
    store_id: str
    seller_id: str
    date: str
    ca_journalier: DecimalAnnotation
    nb_ventes: int
    nb_articles: int
    prospects: int = 0
    source: str = "external_api"
    timestamp: UtcDateTime | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    updated_at: UtcDateTime = Field(default_factory=utcnow)

    class Settings:
        name = "kpi_entries"
        indexes = [
            IndexModel(
                [("seller_id", ASCENDING), ("date", ASCENDING)],
                unique=True,
                name=SELLER_DATE_UNIQUE_INDEX,
            ),
            IndexModel(
                [("gerant_id", ASCENDING), ("store_id", ASCENDING), ("date", ASCENDING)],
                name=TENANT_STORE_DATE_INDEX,
            ),
            IndexModel(
                [
                    ("gerant_id", ASCENDING),
                    ("date", ASCENDING),
                    ("store_id", ASCENDING),
                    ("seller_id", ASCENDING),
                ],
                name=TENANT_DATE_STORE_SELLER_INDEX,
            ),
            IndexModel(
                [("gerant_id", ASCENDING), ("date", ASCENDING), ("seller_id", ASCENDING)],
                name=TENANT_DATE_SELLER_INDEX,
            ),
        ]
