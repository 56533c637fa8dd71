"""REST: GET /kpi, a store's daily totals and checksums for reconciliation."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from contract import messages
from contract.permissions import Permission
from contract.representations import Day
from resolvers.kpi import queries as kpi_queries
from resolvers.kpi import reconciliation as kpi_reconciliation
from resolvers.kpi.figures import money_text
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, Responses, error, forbidden, success

router = APIRouter(tags=["kpi"])

RECONCILIATION_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "A missing or invalid parameter, `to` before `from`, or more than 366 days",
        messages.KPI_PERIOD_TOO_LONG.format(days=400, maximum=kpi_queries.MAX_DAYS),
    ),
    **forbidden(Permission.KPI_READ),
    404: error("Store not found, or not in the key's tenant", messages.STORE_NOT_FOUND),
}


RECONCILIATION_EXAMPLE = {
    "store_id": "store-123",
    "from": "2024-01-15",
    "to": "2024-01-16",
    "days": [
        {
            "date": "2024-01-15",
            "entries": 2,
            "ca_total": "2230.75",
            "nb_ventes": 20,
            "nb_articles": 43,
            "prospects": 55,
            "checksum": "16bd2b1ea2ff364faaf54d32e708dd0e2ce2d417cc077641ab266dd5ff334068",
        },
        {
            "date": "2024-01-16",
            "entries": 0,
            "ca_total": "0.00",
            "nb_ventes": 0,
            "nb_articles": 0,
            "prospects": 0,
            "checksum": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        },
    ],
}


class KpiDay(BaseModel):
    date: Day
    entries: int = Field(description="How many entries (sellers) the day has")
    ca_total: str = Field(
        description="Euros as a decimal string with exactly two decimals", examples=["2230.75"]
    )
    nb_ventes: int
    nb_articles: int
    prospects: int
    checksum: str = Field(
        description="SHA-256 (hex) of the day's entries in canonical form (see the README)"
    )


class KpiReconciliation(BaseModel):
    model_config = ConfigDict(validate_by_name=True)

    store_id: str
    from_: Day = Field(alias="from")
    to: Day
    days: list[KpiDay]


def kpi_day_out(day: kpi_reconciliation.KpiDay) -> KpiDay:
    return KpiDay(
        date=day.date,
        entries=day.entries,
        ca_total=money_text(day.ca_total),
        nb_ventes=day.nb_ventes,
        nb_articles=day.nb_articles,
        prospects=day.prospects,
        checksum=day.checksum,
    )


@router.get(
    "/kpi",
    responses={**success(RECONCILIATION_EXAMPLE), **RECONCILIATION_ERRORS},
    summary="Reconcile daily KPIs",
)
async def reconcile_kpis(
    actor: CurrentActor, query: Annotated[kpi_reconciliation.KpiReconciliationQuery, Query()]
) -> KpiReconciliation:
    """Every day from `from` to `to` (inclusive, at most 366) of one store: totals and a checksum
    of its entries, to find which day differs from the point of sale (permission kpi:read)."""
    found = await kpi_reconciliation.kpi_reconciliation(actor=actor, query=query)
    return KpiReconciliation(
        store_id=found.store_id,
        from_=found.date_from,
        to=found.date_to,
        days=[kpi_day_out(day) for day in found.days],
    )
