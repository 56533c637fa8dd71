"""REST: POST /kpi/sync."""

from typing import Any, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel

from contract import messages
from contract.permissions import Permission
from resolvers.kpi import sync
from rest_compat.auth import CurrentActor
from rest_compat.event_log import Events
from rest_compat.responses import AUTH_ERRORS, Responses, error, forbidden, success

router = APIRouter(tags=["kpi"])

SYNC_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "More than 100 entries, invalid data (an amount finer than a cent), a seller not of this "
        "store, an inactive store, or a database write error",
        "kpi_entries[3].nb_ventes: Input should be greater than or equal to 0",
    ),
    **forbidden(Permission.KPI_WRITE),
    404: error(
        "Store not found (by store_id or store_external_id), or not in the key's tenant",
        messages.STORE_NOT_FOUND,
    ),
}
SYNCED_EXAMPLE = {
    "status": "success",
    "entries_created": 2,
    "entries_updated": 0,
    "total": 2,
}
SYNC_EXAMPLE: dict[str, Any] = {
    "store_id": "store-123",
    "date": "2024-01-15",
    "kpi_entries": [
        {
            "seller_id": "seller-456",
            "ca_journalier": 1250.50,
            "nb_ventes": 12,
            "nb_articles": 28,
            "prospects": 35,
        },
        {
            "seller_id": "seller-789",
            "ca_journalier": 980.25,
            "nb_ventes": 8,
            "nb_articles": 15,
            "prospects": 20,
        },
    ],
    "source": "external_api",
}
SYNC_BY_EXTERNAL_IDS_EXAMPLE: dict[str, Any] = {
    "store_external_id": "LYON-001",
    "date": "2024-01-15",
    "kpi_entries": [
        {
            "seller_external_id": "SELLER-001",
            "ca_journalier": "1250.50",
            "nb_ventes": 12,
            "nb_articles": 28,
            "prospects": 35,
        }
    ],
}


class KpiSyncResult(BaseModel):
    status: Literal["success"]
    entries_created: int
    entries_updated: int
    total: int


def kpi_sync_out(counts: sync.KpiSyncCounts) -> KpiSyncResult:
    return KpiSyncResult(
        status=counts.status,
        entries_created=counts.created,
        entries_updated=counts.updated,
        total=counts.total,
    )


@router.post(
    "/kpi/sync",
    responses={**success(SYNCED_EXAMPLE), **SYNC_ERRORS},
    summary="Synchronise daily KPIs",
)
async def sync_kpis(
    actor: CurrentActor,
    events: Events,
    data: sync.KpiSync = Body(  # noqa: B008
        openapi_examples={
            "kpi": {"value": SYNC_EXAMPLE},
            "external_ids": {"value": SYNC_BY_EXTERNAL_IDS_EXAMPLE},
        }
    ),
) -> KpiSyncResult:
    """Create or update up to 100 entries, one per seller and date; a bad batch writes nothing.
    The store and each seller are named by our id or by their external_id."""
    return kpi_sync_out(await sync.sync_kpis(actor=actor, data=data, events=events))
