"""GraphQL: the daily KPI sync mutation."""

from datetime import datetime

import strawberry

from contract.validation import parse
from resolvers.kpi import sync
from schema.access import Caller
from schema.context import Info
from schema.inputs import plain_input
from schema.money import Money


@plain_input
@strawberry.input(
    description="One seller's figures for the day; the seller by sellerId or sellerExternalId "
    "(exactly one)."
)
class KpiEntryInput:
    seller_id: strawberry.ID | None = None
    seller_external_id: str | None = None
    ca_journalier: Money = strawberry.field(
        description="Daily revenue in euros, to the cent; stored exactly."
    )
    nb_ventes: int
    nb_articles: int
    prospects: int | None = strawberry.field(default=None, description="Default 0.")
    timestamp: datetime | None = None


@plain_input
@strawberry.input(
    description="Up to 100 entries for one store and one date; the store by storeId or "
    "storeExternalId (exactly one)."
)
class KpiSyncInput:
    store_id: strawberry.ID | None = None
    store_external_id: str | None = None
    date: str = strawberry.field(description="YYYY-MM-DD.")
    kpi_entries: list[KpiEntryInput]
    source: str | None = strawberry.field(default=None, description='Default "external_api".')


@strawberry.type
class KpiSyncResult:
    status: str
    entries_created: int
    entries_updated: int
    total: int


def kpi_sync_result(counts: sync.KpiSyncCounts) -> KpiSyncResult:
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
        data = parse(sync.KpiSync, input)
        return kpi_sync_result(
            await sync.sync_kpis(actor=actor, data=data, events=info.context.services.events)
        )
