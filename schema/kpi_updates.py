"""GraphQL: live KPI updates, over graphql-transport-ws at /graphql."""

from collections.abc import AsyncGenerator

import strawberry

from contract.validation import parse
from models import KpiEntry as KpiEntryDocument
from resolvers.kpi import updates as kpi_updates
from schema.access import Caller
from schema.context import Info
from schema.money import Money


@strawberry.type(description="One seller's figures for one day, as a sync just wrote them.")
class KpiUpdate:
    store_id: strawberry.ID
    seller_id: strawberry.ID
    date: str = strawberry.field(description="YYYY-MM-DD.")
    ca_journalier: Money
    nb_ventes: int
    nb_articles: int
    prospects: int
    source: str


def kpi_update(entry: KpiEntryDocument) -> KpiUpdate:
    return KpiUpdate(
        store_id=strawberry.ID(entry.store_id),
        seller_id=strawberry.ID(entry.seller_id),
        date=entry.date,
        ca_journalier=Money(entry.ca_journalier),
        nb_ventes=entry.nb_ventes,
        nb_articles=entry.nb_articles,
        prospects=entry.prospects,
        source=entry.source,
    )


@strawberry.type
class KpiSubscription:
    @strawberry.subscription(
        description="Each KPI entry written from now on (by a sync on any server) in the given "
        "stores, or every store the caller reads (permission kpi:read; a seller gets his own). "
        'Authenticate in connection_init with {"X-API-Key": …} or {"Authorization": '
        '"Bearer …"}; ends with UNAUTHENTICATED once the key or session stops holding. '
        "Naming a store the caller cannot read is FORBIDDEN or NOT_FOUND, a malformed id "
        "BAD_REQUEST; past the subscriptions a caller may hold at once, THROTTLED.",
        permission_classes=[Caller],
    )
    async def kpi_updates(
        self, info: Info, store_ids: list[strawberry.ID] | None = None
    ) -> AsyncGenerator[KpiUpdate, None]:
        async with info.context.subscription_slot():
            given = parse(kpi_updates.KpiUpdateFilter, {"store_ids": store_ids})
            updates = kpi_updates.kpi_updates(
                actor=info.context.actor(),
                filter=given,
                feed=info.context.kpi_feed,
                credentials=info.context.credentials(),
            )
            async for entry in updates:
                yield kpi_update(entry)
