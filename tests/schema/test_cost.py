"""GraphQL query costs: priced before a query runs, drawn from the caller's bucket, reported in
every response; a query over the maximum or over what is left is refused (THROTTLED, 429)
before it runs."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse

from infra.introspection_prices import IntrospectionPrices
from infra.tokens import TokenSigner
from models import Role
from resolvers import kpi_summaries, messages
from rpai.settings import Settings
from schema import cost, schema
from tests.conftest import TEST_JWT_SECRET
from tests.support.app import key_known, serving
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.round_trips import commands_on

ENTRIES = (
    '{ kpiEntries(filter: {from: "2024-01-01", to: "2024-01-31"}, first: 10) '
    "{ edges { node { store { name } seller { name } } } } }"
)
# 1 for the connection, 2 for being one, then each of its 10 edges: 1 for the edges list, 1
# for the edge, 1 for its node, 1 for the node's store, 1 for its seller.
ENTRIES_COST = 1 + 2 + 10 * 5
# Three such pages at once: over the maximum of 1000 with first: 100.
GREEDY = (
    "{ "
    + " ".join(f"p{n}: {ENTRIES[2:-2].replace('first: 10', 'first: 100')}" for n in range(3))
    + " }"
)


def database_name(settings: Settings) -> str:
    assert settings.mongodb_url is not None
    return settings.mongodb_url.rsplit("/", 1)[1]


async def ask(http: httpx.AsyncClient, query: str, key: str) -> dict[str, Any]:
    """Ask with an API key, or with a session token (`Bearer …`)."""
    headers = {"Authorization": key} if key.startswith("Bearer ") else {"X-API-Key": key}
    response = await http.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def metered(settings: Settings) -> Settings:
    return settings.model_copy(update={"graphql_max_cost": 1000, "graphql_cost_restore_rate": 50.0})


async def test_every_answer_reports_what_was_asked_spent_and_left(settings: Settings) -> None:
    async with serving(metered(settings)) as http:
        gerant = await make_gerant()
        for _ in range(2):
            await make_store(gerant)
        key = await make_key(gerant)
        await key_known(http, key)
        body = await ask(http, "{ stores { id name } }", key)
        cost = body["extensions"]["cost"]
        # Requested: 1 for the list, 50 stores expected, 1 each; actual: the 2 there are.
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (51, 3)
        status = cost["throttleStatus"]
        assert (status["maximumAvailable"], status["restoreRate"]) == (1000, 50.0)
        assert 997 - 1 <= status["currentlyAvailable"] <= 1000
        entries = await ask(http, ENTRIES, key)
        assert entries["extensions"]["cost"]["requestedQueryCost"] == ENTRIES_COST
        created = await ask(
            http, 'mutation { createStore(input: {name: "X", location: "Y"}) { id } }', key
        )
        assert created["extensions"]["cost"]["requestedQueryCost"] == 10


async def test_a_sellers_costly_query_is_refused_before_it_runs(settings: Settings) -> None:
    async with serving(metered(settings)) as http:
        gerant = await make_gerant()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(seller).token
        with commands_on(database_name(settings)) as seen:
            body = await ask(http, GREEDY, f"Bearer {token}")
        [error] = body["errors"]
        assert error["extensions"] == {"code": "THROTTLED", "status": 429, "retryAfter": 1}
        assert error["message"].startswith("Query cost 1509 is over the maximum of 1000")
        assert body["data"] is None
        assert ("aggregate", "kpi_entries") not in seen
        assert body["extensions"]["cost"]["requestedQueryCost"] == 1509


async def test_a_caller_who_spent_his_points_waits(settings: Settings) -> None:
    small = settings.model_copy(update={"graphql_max_cost": 100, "graphql_cost_restore_rate": 1.0})
    async with serving(small) as http:
        gerant = await make_gerant()
        for _ in range(20):
            await make_store(gerant)
        key = await make_key(gerant)
        await key_known(http, key)
        spent = [await ask(http, "{ stores { id } }", key) for _ in range(3)]
        # Each needs 51 there, and spends 21 (the list and its 20 stores): 37 are left.
        assert [b["extensions"]["cost"]["actualQueryCost"] for b in spent] == [21] * 3
        left = spent[-1]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        assert 37 <= left <= 38
        refused = await ask(http, "{ stores { id } }", key)
        [error] = refused["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert 13 <= error["extensions"]["retryAfter"] <= 14
        other = await make_key(gerant)  # another caller has his own bucket
        await key_known(http, other)
        assert "errors" not in await ask(http, "{ stores { id } }", other)


SELLER_SUMMARIES = (
    "{ users(first: 10) { edges { node { id ... on Seller { "
    'kpiSummary(from: "2024-01-01", to: "2024-12-31", groupBy: DAY) { key } } } } } }'
)


async def test_a_summary_under_an_interface_is_priced(settings: Settings) -> None:
    async with serving(metered(settings)) as http:
        gerant = await make_gerant()
        key = await make_key(gerant)
        await key_known(http, key)
        body = await ask(http, SELLER_SUMMARIES, key)
        # The connection (1 + 2), then each of 10 edges: the edges list, the edge, its node,
        # and the seller's summary: 1 + 5 and its 366 days.
        assert body["extensions"]["cost"]["requestedQueryCost"] == 3 + 10 * (3 + 6 + 366)


YEAR_BY_DAY = '{ kpiSummary(filter: {from: "2024-01-01", to: "2024-12-31"}, groupBy: DAY) { key } }'


async def test_a_callers_summaries_run_one_at_a_time(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One summary of a caller runs, the next waits its turn, past the queue THROTTLED; his
    other queries and other callers' summaries do not wait."""
    release = asyncio.Event()
    running: list[str] = []
    summary = kpi_summaries.kpi_summary

    async def held(**arguments: Any) -> list[kpi_summaries.KpiSummaryRow]:
        running.append(str(arguments["actor"].key_id))
        await release.wait()
        return await summary(**arguments)

    monkeypatch.setattr(kpi_summaries, "kpi_summary", held)
    queued = settings.model_copy(update={"summary_queries_waiting": 1})
    async with serving(queued) as http:
        gerant = await make_gerant()
        key, other = await make_key(gerant), await make_key(gerant)
        await key_known(http, key)
        await key_known(http, other)
        first = asyncio.create_task(ask(http, YEAR_BY_DAY, key))
        second = asyncio.create_task(ask(http, YEAR_BY_DAY, key))
        elsewhere = asyncio.create_task(ask(http, YEAR_BY_DAY, other))
        for _ in range(100):
            if len(running) == 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert len(running) == len(set(running)) == 2  # one of each; `key`'s second waits
        refused = await ask(http, YEAR_BY_DAY, key)
        [error] = refused["errors"]
        assert error["message"] == messages.SUMMARIES_BUSY.format(seconds=1)
        assert error["extensions"] == {"code": "THROTTLED", "status": 429, "retryAfter": 1}
        assert "errors" not in await ask(http, "{ stores { id } }", key)
        release.set()
        answers = await asyncio.gather(first, second, elsewhere)
        assert [body["data"]["kpiSummary"] for body in answers] == [[], [], []]
        assert len(running) == 3


INTROSPECTION = (
    "__schema { types { name fields { name args { name type { name kind ofType { name } } } "
    "type { name kind ofType { name } } } inputFields { name type { name } } enumValues { name } "
    "} }"
)
THIRTY_INTROSPECTIONS = "{ " + " ".join(f"s{n}: {INTROSPECTION}" for n in range(30)) + " }"
TYPE_NAMES = "{ " + " ".join(f"s{n}: __schema {{ types {{ name }} }}" for n in range(3)) + " }"


async def anonymous(http: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_introspection_is_priced_and_each_alias_counts(settings: Settings) -> None:
    async with serving(settings) as http:
        body = await anonymous(http, TYPE_NAMES)
        assert "errors" not in body
        # Each alias: 1 for the schema, 1 for its list of types, 1 a type.
        types = len(schema._schema.type_map)
        assert len(body["data"]["s0"]["types"]) == types
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 3 * (2 + types)
        full = await anonymous(http, get_introspection_query(descriptions=True))
        assert "errors" not in full  # GraphiQL's own introspection fits an anonymous bucket
        cost = full["extensions"]["cost"]
        assert 1000 < cost["requestedQueryCost"] == cost["actualQueryCost"] <= 5000


async def test_thirty_introspections_are_refused_before_they_run(settings: Settings) -> None:
    async with serving(settings) as http:
        body = await anonymous(http, THIRTY_INTROSPECTIONS)
        [error] = body["errors"]
        assert error["extensions"] == {"code": "THROTTLED", "status": 429, "retryAfter": 1}
        assert error["message"].startswith("Query cost is over the maximum of 5000 (counted up to ")
        assert body["data"] is None
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] > 5000
        assert cost["throttleStatus"]["maximumAvailable"] == 5000
        gerant = await make_gerant()
        key = await make_key(gerant)
        await key_known(http, key)
        # Over an authenticated caller's maximum as well: 30 of them cost over 50,000.
        authenticated = await ask(http, THIRTY_INTROSPECTIONS, key)
        [error] = authenticated["errors"]
        assert error["message"].startswith("Query cost is over the maximum of 50000")


async def test_anonymous_callers_have_a_smaller_bucket_of_their_own(settings: Settings) -> None:
    small = settings.model_copy(
        update={"anonymous_graphql_max_cost": 300, "anonymous_graphql_cost_restore_rate": 0.01}
    )
    price_of = 3 * (2 + len(schema._schema.type_map))
    async with serving(small) as http:
        first = await anonymous(http, TYPE_NAMES)
        status = first["extensions"]["cost"]["throttleStatus"]
        assert (status["maximumAvailable"], status["restoreRate"]) == (300, 0.01)
        assert status["currentlyAvailable"] == 300 - price_of
        again = await anonymous(http, TYPE_NAMES)
        [error] = again["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert error["message"].startswith(f"Query cost {price_of} is over what is left")
        key = await make_key(await make_gerant())
        await key_known(http, key)
        mine = await ask(http, TYPE_NAMES, key)  # the same address, with a key
        assert "errors" not in mine
        status = mine["extensions"]["cost"]["throttleStatus"]
        assert status["maximumAvailable"] == small.graphql_max_cost
        assert status["currentlyAvailable"] >= small.graphql_max_cost - price_of


PAGE_SIZE_REFUSED = {
    "message": "first: must be between 1 and 100",
    "extensions": {"code": "BAD_REQUEST", "status": 400},
}


@pytest.mark.parametrize(
    ("query", "path"),
    [
        (
            "{ stores { sellers(first: -2147483648) { edges { node { id } } } } }",
            ["stores", "sellers"],
        ),
        ("{ stores { name s: managers(first: 0) { edges { node { id } } } } }", ["stores", "s"]),
        (
            '{ store(id: "x") { sellers(first: 101) { edges { node { id } } } } }',
            ["store", "sellers"],
        ),
        ("{ users(first: 0) { edges { node { id } } } }", ["users"]),
        (
            '{ kpiEntries(filter: {from: "2024-01-01", to: "2024-01-31"}, first: 101) '
            "{ edges { cursor } } }",
            ["kpiEntries"],
        ),
    ],
)
async def test_a_page_size_out_of_range_is_refused_before_pricing(
    settings: Settings, query: str, path: list[str]
) -> None:
    async with serving(settings) as http:
        gerant = await make_gerant()
        await make_store(gerant)
        key = await make_key(gerant)
        await key_known(http, key)
        with commands_on(database_name(settings)) as seen:
            body = await ask(http, query, key)
        assert body["data"] is None
        [error] = body["errors"]
        assert {name: error[name] for name in ("message", "extensions")} == PAGE_SIZE_REFUSED
        assert error["path"] == path
        assert body["extensions"]["cost"]["requestedQueryCost"] == 0
        assert [command for command in seen if command[1] in ("stores", "users")] == []


def test_an_introspection_is_counted_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its aliases, and the same selection in later queries, cost a lookup; a count stopped
    past a maximum stops the next one at once."""
    walks: list[str] = []
    walk = cost.introspected

    def counted(node: Any, *rest: Any) -> int:
        if node.name.value.startswith("__schema"):
            walks.append(node.name.value)
        return walk(node, *rest)

    monkeypatch.setattr(cost, "introspected", counted)
    prices = IntrospectionPrices()
    document = parse(TYPE_NAMES)
    found = [cost.priced(schema._schema, document, None, {}, prices=prices) for _ in range(2)]
    assert [cost.price(f.operation, f.root, f.document) for f in found if f] == [
        3 * (2 + len(schema._schema.type_map))
    ] * 2
    assert walks == ["__schema"]
    costly = parse(THIRTY_INTROSPECTIONS)
    for _ in range(2):
        limited = cost.priced(schema._schema, costly, None, {}, limit=5000, prices=prices)
        assert limited is not None
        with pytest.raises(cost.TooCostly):
            cost.price(limited.operation, limited.root, limited.document)
    assert walks == ["__schema", "__schema"]
