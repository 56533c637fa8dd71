"""KPI rollups: sums of the daily entries kept per store and day (written in the same
transaction as the entries), and per store and month (with a map of its days and one of its
sellers, folded from the store days by the projector).

Amounts are whole cents (exact, and summable everywhere as integers).
"""

from enum import StrEnum

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime


class RollupKind(StrEnum):
    STORE_DAY = "store_day"  # period YYYY-MM-DD, with the day's reconciliation checksum
    STORE_MONTH = "store_month"  # period YYYY-MM, with its days' and its sellers' sums


# Reads by tenant and period (whole tenant), and by store.
PERIOD_INDEX = "tenant_kind_period"
STORE_INDEX = "tenant_kind_store_period"
UNFOLDED_INDEX = "unfolded"


def rollup_id(
    kind: RollupKind, gerant_id: str, period: str, store_id: str | None, seller_id: str | None
) -> str:
    """The one document of a kind, tenant, period, store and seller (unique by construction)."""
    return ":".join([kind.value, gerant_id, period, store_id or "", seller_id or ""])


class KpiRollup(Document):
    id: str  # type: ignore[assignment]  # rollup_id(...)
    gerant_id: str
    kind: RollupKind
    period: str
    store_id: str | None = None
    seller_id: str | None = None
    ca_cents: int = 0
    nb_ventes: int = 0
    nb_articles: int = 0
    prospects: int = 0
    entries: int = 0
    checksum: str | None = Field(default=None, description="store days only")
    # Store months only: each day's and each seller's sums, as JSON text (read as one value):
    # {"2025-03-04": [ca_cents, nb_ventes, nb_articles, prospects, entries], ...}.
    days: str = "{}"
    sellers: str = "{}"  # store days too: each seller's line of the day
    # Store days written by a sync and not yet folded into their month (resolvers/kpi/projector),
    # with the revision the fold checks before marking them folded.
    unfolded: bool | None = None
    rev: str | None = None
    # Store months: the projector holding the month's fold, until when.
    fold_owner: str | None = None
    fold_until: UtcDateTime | None = None

    class Settings:
        name = "kpi_rollups"
        indexes = [
            IndexModel(
                [("gerant_id", ASCENDING), ("kind", ASCENDING), ("period", ASCENDING)],
                name=PERIOD_INDEX,
            ),
            IndexModel(
                [
                    ("gerant_id", ASCENDING),
                    ("kind", ASCENDING),
                    ("store_id", ASCENDING),
                    ("period", ASCENDING),
                ],
                name=STORE_INDEX,
            ),
            IndexModel(
                [("unfolded", ASCENDING)],
                partialFilterExpression={"unfolded": True},
                name=UNFOLDED_INDEX,
            ),
        ]
