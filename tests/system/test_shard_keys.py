"""Every command the app sends to the KPI collections names its tenant (`gerant_id`, the
first field of their shard keys, docs/operations.md), so that on a sharded cluster it goes to
the tenant's chunks only: read from the commands themselves while syncs, a seller's move,
summaries of every grouping, the reconciliation, the projector, the rollups' check and
rebuild and an import run on SecantusDB."""

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract.credentials import actor_for_user
from infra.event_log import DEFAULT_EVENT_LOG
from models import Role
from resolvers.kpi.import_worker import ImportPolicy, run_imports
from resolvers.kpi.rollup_admin import check_rollups, rebuild_rollups
from resolvers.kpi.summaries import KpiGroupBy, kpi_summary
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.kpi_commands import carries, filters_of, kpi_commands
from tests.support.kpi_history import fold_all, period

pytestmark = pytest.mark.usefixtures("client")

# The projector's look for pending store days, across tenants: the only one, by design (a
# background worker's claim, on a partial index holding only days not folded yet).
ACROSS_TENANTS = [{"unfolded": True}]
# The operator's check and rebuild list every store with KPI data, of every tenant (rpai
# check-rollups / rebuild-rollups): one pass over each collection, by design.
OPERATOR_LISTING = [{"$group": {"_id": {"store": "$store_id", "tenant": "$gerant_id"}}}]


def sync(store_id: str, day: str, sellers: list[str]) -> dict[str, Any]:
    entries = [
        {"seller_id": s, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2} for s in sellers
    ]
    return {"store_id": store_id, "date": day, "kpi_entries": entries}


async def test_every_kpi_command_names_its_tenant(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    first, second = await make_store(gerant), await make_store(gerant)
    mover = await make_user(gerant, Role.SELLER, second)
    others = [(await make_user(gerant, Role.SELLER, first)).id for _ in range(2)]
    key = await make_key(gerant)
    actor = actor_for_user(gerant)
    with kpi_commands() as seen:
        for body in (
            sync(second.id, "2025-03-03", [mover.id]),
            sync(first.id, "2025-03-03", others),
        ):
            answer = await client.post(
                "/api/integrations/kpi/sync", json=body, headers=headers(key)
            )
            assert answer.status_code == 200, answer.text
        mover.store_id = first.id  # moved to the first store, as the staff page does
        await mover.save()
        body = sync(first.id, "2025-03-03", [mover.id])  # his day leaves the second store
        assert (
            await client.post("/api/integrations/kpi/sync", json=body, headers=headers(key))
        ).status_code == 200
        for grouping in KpiGroupBy:
            await kpi_summary(actor=actor, kpi_filter=period(), group_by=grouping)
        reconciled = await client.get(
            "/api/integrations/kpi",
            params={"store_id": first.id, "from": "2025-03-01", "to": "2025-03-31"},
            headers=headers(key),
        )
        assert reconciled.status_code == 200
        line = json.dumps(
            {
                "store_id": first.id,
                "date": "2025-03-04",
                "seller_id": mover.id,
                "ca_journalier": 1,
                "nb_ventes": 1,
                "nb_articles": 1,
            }
        )
        posted = await client.post(
            "/api/integrations/kpi/imports",
            content=line.encode() + b"\n",
            headers={**headers(key), "Content-Type": "application/x-ndjson"},
        )
        assert posted.status_code == 202
        policy = ImportPolicy(DEFAULT_EVENT_LOG, share=1.0, lease=timedelta(seconds=60))
        assert await run_imports(policy) == 1
        await fold_all()
        assert await check_rollups() == []
        await rebuild_rollups(progress=lambda _line: None, restart=True)
    unnamed = []
    for command in seen:
        if command.get("pipeline") == OPERATOR_LISTING:
            continue
        for query in filters_of(command):
            if query not in ACROSS_TENANTS and not carries("gerant_id", query):
                unnamed.append((next(iter(command)), command[next(iter(command))], query))
        for document in command.get("documents", []):
            if "gerant_id" not in document:
                unnamed.append(("insert", command["insert"], document))
    # The embedded database looks a document up by a leading `_id` only, and scans the whole
    # collection for a filter led by another field or holding a top-level `$or` (250 ms at
    # 5,000 rollups, in a sync's transaction: every concurrent sync then conflicted).
    queries = [query for command in seen for query in filters_of(command)]
    assert [q for q in queries if "_id" in q and next(iter(q)) != "_id"] == []
    assert [q for q in queries if "$or" in q] == []
    assert {next(iter(command)) for command in seen} >= {"find", "update", "aggregate"}
    assert [(name, collection, sorted(query)) for name, collection, query in unnamed] == []
