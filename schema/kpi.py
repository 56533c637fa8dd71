"""GraphQL: the daily KPI sync mutation."""

from datetime import datetime

import strawberry

from resolvers import kpi
from schema.access import Caller
from schema.context import Info
from schema.inputs import parse_input, plain_input


@plain_input
@strawberry.input(description="One seller's figures for the day.")
class KpiEntryInput:
    seller_id: strawberry.ID
    ca_journalier: float = strawberry.field(
        description="Daily revenue in euros, at most 2 decimal places; stored exactly."
    )
    nb_ventes: int
    nb_articles: int
    prospects: int | None = strawberry.field(default=None, description="Default 0.")
    timestamp: datetime | None = None


@plain_input
@strawberry.input(description="Up to 100 entries for one store and one date.")
class KpiSyncInput:
    store_id: strawberry.ID
    date: str = strawberry.field(description="YYYY-MM-DD.")
    kpi_entries: list[KpiEntryInput]
    source: str | None = strawberry.field(default=None, description='Default "external_api".')


@strawberry.type
class KpiSyncResult:
    status: str
    entries_created: int
    entries_updated: int
    total: int


def kpi_sync_result(counts: kpi.KpiSyncCounts) -> KpiSyncResult:
    return KpiSyncResult(
        status=counts.status,
        entries_created=counts.created,
        entries_updated=counts.updated,
        total=counts.total,
    )


@strawberry.type
class KpiMutation:
    @strawberry.mutation(
        description="Create or update daily KPI entries (permission kpi:write).",
        permission_classes=[Caller],
    )
    async def sync_kpis(self, info: Info, input: KpiSyncInput) -> KpiSyncResult:
        actor = info.context.actor()
        data = parse_input(kpi.KpiSync, input)
        return kpi_sync_result(await kpi.sync_kpis(actor=actor, data=data))
