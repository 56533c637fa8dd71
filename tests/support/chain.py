"""A gérant's chain of stores with their staff and a month of KPIs, at any size: what the
read budgets and the rollup tools are measured on."""

from decimal import Decimal

from models import KpiEntry, Role, User
from resolvers.kpi.rollup_admin import rebuild_rollups
from tests.support.factories import make_gerant, make_store, make_user


async def chain(stores: int) -> User:
    """A gérant with `stores` stores, each with a manager, two sellers and a month of KPIs
    (inserted at once, then summed into their rollups)."""
    gerant = await make_gerant()
    entries = []
    for _ in range(stores):
        store = await make_store(gerant)
        await make_user(gerant, Role.MANAGER, store)
        for _ in range(2):
            seller = await make_user(gerant, Role.SELLER, store)
            entries += [
                KpiEntry(
                    gerant_id=gerant.id,
                    store_id=store.id,
                    seller_id=seller.id,
                    date=f"2025-03-{day:02d}",
                    ca_journalier=Decimal("10.50"),
                    nb_ventes=1,
                    nb_articles=2,
                    prospects=3,
                )
                for day in range(1, 32)
            ]
    await KpiEntry.insert_many(entries)
    await rebuild_rollups(progress=lambda _line: None)  # written beside the sync rule
    return gerant
