"""Every command the app sends to the KPI collections carries the prefix of their shard keys
(docs/operations.md): its tenant (`gerant_id`) always, and its store (`store_id`) unless it
reads the whole tenant or names an exception below, so that on a sharded cluster it goes to
one store's chunk (one shard) or to the tenant's chunks. Read from the commands themselves
while syncs, a seller's move, an import, the projector, the rollups' check and rebuild, every
KPI read (summaries of every grouping and comparison, entries, exports, a store's and a
seller's summaries, the reconciliation) and a live subscription run on SecantusDB; a new query
without the prefix fails here."""

import asyncio
import json
from collections.abc import Collection, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infra.event_log import DEFAULT_EVENT_LOG
from models import Role, Store
from resolvers.kpi.comparison import KpiComparison
from resolvers.kpi.import_worker import ImportPolicy, run_imports
from resolvers.kpi.rollup_admin import check_rollups, rebuild_rollups
from resolvers.kpi.summaries import KpiGroupBy
from rpai.settings import Settings
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.kpi_commands import (
    carries,
    filters_of,
    kpi_commands,
    opens_a_change_stream,
    shape,
)
from tests.support.kpi_history import fold_all
from tests.support.live import acknowledged, live, received, subscribe
from tests.support.logins import gql
from tests.support.servers import in_process_listener

# Commands without the tenant, by design (each is also in docs/operations.md):
# - the projector's look for pending store days, across tenants: a background worker's claim,
#   on a partial index holding only the days not folded yet;
ACROSS_TENANTS = [{"unfolded": True}]
# - the operator's check and rebuild list every store with KPI data, of every tenant (rpai
#   check-rollups / rebuild-rollups): one pass over each collection, then one store at a time.
OPERATOR_LISTING = [{"$group": {"_id": {"store": "$store_id", "tenant": "$gerant_id"}}}]
# Commands of one tenant without the store, by design, outside the whole-tenant reads:
STORE_UNKNOWN = {
    # The sync's look for its sellers' entries of the day in other stores: the store is what it
    # looks for (a seller moved since, whose day leaves his former store's rollup).
    ("find", "kpi_entries", ("date", "gerant_id", "seller_id")),
    # The entries' upsert by (tenant, seller, day), the unique key, which moves a seller's day
    # to the synced store: a delete and an insert once the collection is sharded (the doc's
    # "What must change before sharding").
    ("update", "kpi_entries", ("date", "gerant_id", "seller_id")),
}
FOLLOWING_BOUND = 10  # seconds: a bound on a busy machine, not a figure checked
DAY, MONTH = "2025-03-03", {"from": "2025-02-20", "to": "2025-04-05"}
SUMMARY = """query($f: KpiFilter!, $g: KpiGroupBy!, $c: KpiComparison!) {
  kpiSummary(filter: $f, groupBy: $g, compareTo: $c) { key }
}"""
ENTRIES = "query($f: KpiFilter!) { kpiEntries(filter: $f, first: 1) { edges { cursor } } }"
EXPORT = """query($f: KpiFilter!, $g: KpiGroupBy!) {
  kpiExport(filter: $f, groupBy: $g, format: CSV) { filename }
}"""
OF_STORE = """query($id: ID!, $g: KpiGroupBy!) {
  store(id: $id) { kpiSummary(from: "2025-02-20", to: "2025-04-05", groupBy: $g) { key } }
}"""
OF_SELLER = """query($id: ID!, $g: KpiGroupBy!) {
  user(id: $id) {
    ... on Seller { kpiSummary(from: "2025-02-20", to: "2025-04-05", groupBy: $g) { key } }
  }
}"""


def sync(store_id: str, day: str, sellers: list[str]) -> dict[str, Any]:
    entries = [
        {"seller_id": s, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2} for s in sellers
    ]
    return {"store_id": store_id, "date": day, "kpi_entries": entries}


def unprefixed(
    seen: list[dict[str, Any]], fields: tuple[str, ...], excepted: Collection[Any] = ()
) -> list[tuple[str, str, tuple[str, ...]]]:
    """The shapes of the commands in `seen` whose filter (or inserted document) lacks one of
    `fields`, but for the exceptions by design and the shapes `excepted`."""
    found = []
    for command in seen:
        if opens_a_change_stream(command) or command.get("pipeline") == OPERATOR_LISTING:
            continue  # a change stream selects no documents; the listing, above
        for query in filters_of(command):
            lacking = query not in ACROSS_TENANTS and shape(command, query) not in excepted
            if lacking and not all(carries(field, query) for field in fields):
                found.append(shape(command, query))
        inserted = command.get("documents", [])
        found += [shape(command, d) for d in inserted if not d.keys() >= set(fields)]
    return sorted(set(found))


async def read(client: httpx.AsyncClient, key: str, query: str, **variables: Any) -> None:
    answer = await gql(client, query, variables, headers=headers(key))
    assert "errors" not in answer, answer


def groupings() -> Iterator[tuple[KpiGroupBy, KpiComparison]]:
    """Every grouping, and every comparison (each with one grouping)."""
    comparisons = list(KpiComparison)
    for index, grouping in enumerate(KpiGroupBy):
        yield grouping, comparisons[index % len(comparisons)]


async def every_read(client: httpx.AsyncClient, key: str, kpi_filter: dict[str, Any]) -> None:
    """kpiSummary in every grouping and comparison, a page of kpiEntries, an export."""
    for grouping, comparison in groupings():
        group, compare = grouping.name, comparison.name
        await read(client, key, SUMMARY, f=kpi_filter, g=group, c=compare)
        await read(client, key, EXPORT, f=kpi_filter, g=group)
    await read(client, key, ENTRIES, f=kpi_filter)


@pytest.mark.usefixtures("client")
async def test_every_kpi_command_carries_its_shard_key_prefix(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    first, second = await make_store(gerant), await make_store(gerant)
    mover = await make_user(gerant, Role.SELLER, second)
    others = [(await make_user(gerant, Role.SELLER, first)).id for _ in range(2)]
    key = await make_key(gerant)
    with kpi_commands() as writes:
        for body in (sync(second.id, DAY, [mover.id]), sync(first.id, DAY, others)):
            answer = await client.post(
                "/api/integrations/kpi/sync", json=body, headers=headers(key)
            )
            assert answer.status_code == 200, answer.text
        mover.store_id, mover.moved = first.id, True  # moved, as the staff page does
        await mover.save()
        body = sync(first.id, DAY, [mover.id])  # his day leaves the second store
        assert (
            await client.post("/api/integrations/kpi/sync", json=body, headers=headers(key))
        ).status_code == 200
        line: dict[str, Any] = {"store_id": first.id, "date": "2025-03-04"}
        line |= {"seller_id": mover.id, "ca_journalier": 1, "nb_ventes": 1, "nb_articles": 1}
        posted = await client.post(
            "/api/integrations/kpi/imports",
            content=json.dumps(line).encode() + b"\n",
            headers={**headers(key), "Content-Type": "application/x-ndjson"},
        )
        assert posted.status_code == 202
        policy = ImportPolicy(DEFAULT_EVENT_LOG, share=1.0, lease=timedelta(seconds=60))
        assert await run_imports(policy) == 1
        await fold_all()
        assert await check_rollups() == []
        await rebuild_rollups(progress=lambda _line: None, restart=True)
    with kpi_commands() as of_stores:
        of_first = await make_key(gerant, store_ids=[first.id])
        await every_read(client, of_first, MONTH)
        await every_read(client, key, {**MONTH, "storeIds": [first.id, second.id]})
        for grouping in KpiGroupBy:
            await read(client, key, OF_STORE, id=first.id, g=grouping.name)
        reconciled = await client.get(
            "/api/integrations/kpi",
            params={"store_id": first.id, "from": "2025-03-01", "to": "2025-03-31"},
            headers=headers(key),
        )
        assert reconciled.status_code == 200
    with kpi_commands() as of_tenant:  # the gérant's reads of every store, or of a seller's
        await every_read(client, key, MONTH)
        await every_read(client, key, {**MONTH, "sellerIds": [mover.id]})
        for grouping in KpiGroupBy:
            await read(client, key, OF_SELLER, id=mover.id, g=grouping.name)
    assert unprefixed(writes, ("gerant_id", "store_id"), STORE_UNKNOWN) == []
    assert {shape(c, q) for c in writes for q in filters_of(c)} >= STORE_UNKNOWN  # still so
    assert unprefixed(of_stores, ("gerant_id", "store_id")) == []
    assert unprefixed(of_tenant, ("gerant_id",)) == []
    seen = [*writes, *of_stores, *of_tenant]
    assert {next(iter(command)) for command in seen} >= {"find", "update", "aggregate", "delete"}
    assert {next(iter(command)) for command in of_stores + of_tenant} == {"aggregate"}
    # The embedded database looks a document up by a leading `_id` only, and scans the whole
    # collection for a filter led by another field or holding a top-level `$or` (250 ms at
    # 5,000 rollups, in a sync's transaction: every concurrent sync then conflicted).
    queries = [query for command in seen for query in filters_of(command)]
    assert [q for q in queries if "_id" in q and next(iter(q)) != "_id"] == []
    assert [q for q in queries if "$or" in q] == []


async def test_a_live_subscription_reads_no_entry_outside_its_tenant(settings: Settings) -> None:
    """kpiUpdates follows the entries with one change stream a process (on a sharded cluster,
    a cursor on every shard, by design): what it delivers comes from the stream, never from a
    read by id, which would carry neither the tenant nor the store."""
    async with in_process_listener(settings) as (base_url, app):
        gerant = await make_gerant()
        store: Store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        with kpi_commands() as seen:
            async with live(base_url, {"X-API-Key": key}) as socket:
                await acknowledged(socket)
                await subscribe(socket)
                await asyncio.wait_for(app.state.kpi_feed.following.wait(), FOLLOWING_BOUND)
                async with httpx.AsyncClient(base_url=base_url) as http:
                    body = sync(store.id, DAY, [seller.id])
                    answer = await http.post(
                        "/api/integrations/kpi/sync", json=body, headers=headers(key)
                    )
                    assert answer.status_code == 200, answer.text
                message = await asyncio.wait_for(received(socket), FOLLOWING_BOUND)
                assert message["type"] == "next", message
                assert message["payload"]["data"]["kpiUpdates"]["sellerId"] == seller.id
    assert [c for c in seen if opens_a_change_stream(c)] != []
    assert unprefixed(seen, ("gerant_id",)) == []
