"""GraphQL query costs: priced before a query runs, drawn from the caller's bucket, reported in
every response; a query over the maximum or over what is left is refused (THROTTLED, 429)
before it runs."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse

from contract import messages
from infra.cost_buckets import CostBuckets
from infra.introspection_prices import Counted, IntrospectionPrices
from infra.tokens import TokenSigner
from models import Role
from resolvers.kpi import summaries as kpi_summaries
from resolvers.kpi.summaries import KpiGroupBy
from rpai.settings import Settings
from schema import cost, schema
from schema import schema as app_schema
from schema.cost import (
    Priced,
    TooCostly,
    check_pages,
    price,
    priced,
    reads_summary,
    settle,
    summary_rows,
)
from tests.support.app import key_known
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.round_trips import commands_on
from tests.support.servers import in_process_client
from tests.support.settings import TEST_JWT_SECRET

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
    async with in_process_client(metered(settings)) as http:
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
    async with in_process_client(metered(settings)) as http:
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
    async with in_process_client(small) as http:
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
    async with in_process_client(metered(settings)) as http:
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
    async with in_process_client(queued) as http:
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
    async with in_process_client(settings) as http:
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
    async with in_process_client(settings) as http:
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
    price_of = 3 * (2 + len(schema._schema.type_map))
    maximum = price_of + 100  # room for one such query, not two
    small = settings.model_copy(
        update={"anonymous_graphql_max_cost": maximum, "anonymous_graphql_cost_restore_rate": 0.01}
    )
    async with in_process_client(small) as http:
        first = await anonymous(http, TYPE_NAMES)
        status = first["extensions"]["cost"]["throttleStatus"]
        assert (status["maximumAvailable"], status["restoreRate"]) == (maximum, 0.01)
        assert status["currentlyAvailable"] == maximum - price_of
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
    async with in_process_client(settings) as http:
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


def priced_query(query: str, variables: dict[str, Any] | None = None) -> Priced:
    found = priced(app_schema._schema, parse(query), None, variables)
    assert found is not None
    return found


def requested(query: str, variables: dict[str, Any] | None = None) -> int:
    """The price of a query before it runs, without a server."""
    found = priced_query(query, variables)
    return price(found.operation, found.root, found.document, mutation=found.mutation)


def spent(query: str, data: dict[str, Any]) -> int:
    """The price of a query once it has returned `data`."""
    found = priced_query(query)
    return price(found.operation, found.root, found.document, data, found.mutation)


def summary(period: str, grouping: str) -> str:
    start, end = period.split("/")
    return (
        f'{{ kpiSummary(filter: {{from: "{start}", to: "{end}"}}, groupBy: {grouping}) {{ key }} }}'
    )


# What `__type { fields }` lists of the two types (none deprecated).
QUERY_FIELDS = len(getattr(app_schema._schema.query_type, "fields", {}))
STORE_FIELDS = len(getattr(app_schema._schema.type_map["Store"], "fields", {}))
PAGE = '{ kpiEntries(filter: {from: "2024-01-01", to: "2024-01-31"}) { edges { node { date } } } }'


class TestPricing:
    """The price of a query from its text alone (no server): what the bucket is asked for."""

    def test_lists_connections_and_mutations(self) -> None:
        assert requested("{ stores { id name } }") == 51
        assert requested(ENTRIES) == ENTRIES_COST
        # Without `first`, a page of 50: each edge is the edges list, the edge and its node.
        assert requested(PAGE) == 3 + 50 * 3
        paged = PAGE.replace("{ kpiEntries(", "query Page($n: Int) { kpiEntries(first: $n, ")
        assert requested(paged, {"n": 4}) == 3 + 4 * 3
        assert requested(GREEDY) == 1509
        # A mutation's fields cost 10, what it selects under them the usual prices.
        created = (
            'mutation { createStore(input: {name: "X", location: "Y"}) '
            "{ id managers(first: 2) { edges { node { id } } } } }"
        )
        assert requested(created) == 10 + 3 + 2 * 3
        assert requested("{ __typename stores { __typename id } unknown { id } }") == 51

    @pytest.mark.parametrize(
        ("query", "cost"),
        [
            (summary("2024-01-01/2024-12-31", "DAY"), 6 + 366),
            (summary("2024-01-01/2024-01-01", "DAY"), 6 + 1),
            (summary("2024-01-01/2024-12-31", "WEEK"), 6 + 366 // 7 + 2),
            (summary("2024-01-01/2024-12-31", "MONTH"), 6 + 366 // 28 + 2),
            (summary("2024-01-01/2024-12-31", "TOTAL"), 6 + 1),
            (summary("2024-01-01/2024-12-31", "STORE"), 6 + 50),
            (summary("2024-01-01/2024-12-31", "SELLER"), 6 + 50),
            # A period ending before it starts, or not a date: refused later, one row here.
            (summary("2024-12-31/2024-01-01", "DAY"), 6 + 1),
            (summary("2024-02-30/2024-03-01", "DAY"), 6 + 1),
            (summary("2024-01-01/someday", "DAY"), 6 + 1),
            (SELLER_SUMMARIES, 3 + 10 * (3 + 6 + 366)),
        ],
    )
    def test_a_summary_costs_its_rows(self, query: str, cost: int) -> None:
        assert requested(query) == cost

    def test_an_export_costs_the_summary_it_writes(self) -> None:
        query = (
            '{ kpiExport(filter: {from: "2024-01-01", to: "2024-12-31"}, groupBy: DAY, '
            "format: XLSX) { filename base64 } }"
        )
        assert requested(query) == 6 + 366
        found = priced_query(query)
        assert reads_summary(found.operation, found.root, found.document)

    def test_a_summary_period_given_in_variables(self) -> None:
        query = (
            "query Year($filter: KpiFilter!, $by: KpiGroupBy!) "
            "{ kpiSummary(filter: $filter, groupBy: $by) { key } }"
        )
        period = {"from": "2024-01-01", "to": "2024-01-10"}
        assert requested(query, {"filter": period, "by": "DAY"}) == 6 + 10
        assert requested(query, {"filter": period, "by": "WEEK"}) == 6 + 10 // 7 + 2
        assert requested(query, {"filter": {**period, "to": "2024-01"}, "by": "DAY"}) == 6 + 1

    def test_parts_of_a_row_cost_nothing_more(self) -> None:
        query = (
            '{ kpiSummary(filter: {from: "2024-01-01", to: "2024-01-07"}, groupBy: DAY) '
            "{ key previous { ca } change { ca } } }"
        )
        assert requested(query) == 6 + 7

    @pytest.mark.parametrize(
        ("query", "variables"),
        [
            ("{ stores @skip(if: true) { id } }", None),
            ("{ stores @include(if: false) { id } }", None),
            ("query Q($s: Boolean!) { stores @skip(if: $s) { id } }", {"s": True}),
            ("{ ...F @skip(if: true) } fragment F on Query { stores { id } }", None),
            ("{ ... @include(if: false) { stores { id } } }", None),
            ("{ ... on Query @skip(if: true) { stores { id } } }", None),
        ],
    )
    def test_what_skip_or_include_leaves_out_is_free(
        self, query: str, variables: dict[str, Any] | None
    ) -> None:
        assert requested(query, variables) == 0

    @pytest.mark.parametrize(
        "query",
        [
            "{ stores @skip(if: false) @include(if: true) { id } }",
            "{ ...F } fragment F on Query { stores { id } }",
            "{ ... on Query { stores { id } } }",
            "{ ... { stores { id } } }",
            "{ ...Missing stores { id } }",
        ],
    )
    def test_fragments_are_priced_as_their_fields(self, query: str) -> None:
        assert requested(query) == 51

    def test_what_a_query_returned_is_what_it_costs(self) -> None:
        assert spent("{ stores { id } }", {"stores": [{"id": "a"}, {"id": "b"}]}) == 3
        assert spent("{ stores { id } }", {"stores": None}) == 1
        aliased = "{ a: stores { id } b: stores { id } }"
        assert spent(aliased, {"a": [{"id": "a"}], "b": []}) == 2 + 1
        node = {"store": {"name": "x"}, "seller": None}
        assert spent(ENTRIES, {"kpiEntries": {"edges": [{"node": node}]}}) == 3 + 5
        assert spent(ENTRIES, {"kpiEntries": {"edges": None}}) == 3
        assert spent(ENTRIES, {"kpiEntries": None}) == 3
        rows = {"kpiSummary": [{"key": "2024-01-01"}, {"key": "2024-01-02"}]}
        assert spent(summary("2024-01-01/2024-12-31", "DAY"), rows) == 6 + 2
        users = SELLER_SUMMARIES
        seller = {"id": "s", "kpiSummary": [{"key": "k"}]}
        assert spent(users, {"users": {"edges": [{"node": seller}]}}) == 3 + (3 + 6 + 1)

    def test_what_is_not_priced(self) -> None:
        subscription = "subscription { kpiUpdates { __typename } }"
        assert priced(app_schema._schema, parse(subscription), None, None) is None
        wrong = "query Q($n: Int!) { stores { id } }"
        assert priced(app_schema._schema, parse(wrong), None, {}) is None
        two = "query A { stores { id } } query B { me { __typename } }"
        assert priced(app_schema._schema, parse(two), "C", None) is None
        found = priced(app_schema._schema, parse(two), "A", None)
        assert found is not None
        assert price(found.operation, found.root, found.document) == 51

    @pytest.mark.parametrize(
        ("query", "reads"),
        [
            (YEAR_BY_DAY, True),
            (SELLER_SUMMARIES, True),
            ('{ stores { kpiSummary(from: "2024-01-01", to: "2024-01-02") { key } } }', True),
            ("{ stores { id } unknown { id } me { __typename } }", False),
            (YEAR_BY_DAY.replace("groupBy: DAY)", "groupBy: DAY) @skip(if: true)"), False),
        ],
    )
    def test_a_query_reading_summaries_is_known_before_it_runs(
        self, query: str, reads: bool
    ) -> None:
        found = priced_query(query)
        assert reads_summary(found.operation, found.root, found.document) is reads

    def test_a_value_part_is_free_but_not_what_follows_it(self) -> None:
        paged = PAGE.replace("{ edges", "{ pageInfo { hasNextPage } edges").replace(
            '"2024-01-31"}', '"2024-01-31"}, first: 2'
        )
        assert requested(paged) == 3 + 2 * 3

    def test_a_skipped_field_leaves_the_others_priced(self) -> None:
        assert requested("{ a: stores @skip(if: true) { id } b: stores { id } }") == 51
        query = "query Q($i: Boolean!) { stores @include(if: $i) { id } }"
        assert (requested(query, {"i": False}), requested(query, {"i": True})) == (0, 51)

    def test_costs_are_whole_numbers(self) -> None:
        assert type(requested("{ stores { id } }")) is int
        assert type(spent("{ stores { id } }", {"stores": [{"id": "a"}]})) is int

    @pytest.mark.parametrize(
        ("arguments", "rows"),
        [
            # As graphql-core gives them: mappings with the schema's names.
            ({"filter": {"from": "2024-01-01", "to": "2024-01-10"}, "groupBy": "DAY"}, 10),
            # As Python objects and names (an input object, an enum), or a field's own period.
            (
                {
                    "filter": SimpleNamespace(from_="2024-01-01", to="2024-01-10"),
                    "group_by": KpiGroupBy.DAY,
                },
                10,
            ),
            ({"from_": "2024-01-01", "to": "2024-01-10", "group_by": "week"}, 10 // 7 + 2),
            (
                {"filter": SimpleNamespace(**{"from": "2024-01-01", "to": "2024-01-10"})},
                1,  # no grouping: the total
            ),
            ({"filter": SimpleNamespace(to="2024-01-10"), "groupBy": "DAY"}, 1),
        ],
    )
    def test_summary_rows_from_any_shape_of_arguments(
        self, arguments: dict[str, Any], rows: int
    ) -> None:
        assert summary_rows(arguments) == rows

    def test_introspection_is_priced_alike_without_locations(self) -> None:
        """A document built without locations (no text to key the cache) is counted in full."""
        query = (
            '{ __type(name: "Query") { name fields { name } } ...F } '
            "fragment F on Query { s: __schema { types { name } } }"
        )
        costs = []
        for parsed in (parse(query), parse(query, no_location=True)):
            found = priced(app_schema._schema, parsed, None, None)
            assert found is not None
            costs.append(price(found.operation, found.root, found.document))
        assert costs == [2 + QUERY_FIELDS + 2 + len(app_schema._schema.type_map)] * 2

    def test_introspection_is_counted_for_its_variables(self) -> None:
        """The same text with other variables is another selection, counted on its own."""
        query = "query Q($n: String!) { __type(name: $n) { fields { name } } }"
        prices = IntrospectionPrices()

        def cost(name: str) -> int:
            found = priced(app_schema._schema, parse(query), None, {"n": name}, prices=prices)
            assert found is not None
            return price(found.operation, found.root, found.document)

        costs = [cost(name) for name in ("Query", "Store", "Query", "Nope")]
        # A type is 1, its fields list 1 and 1 a field; a type that does not exist, 1.
        assert costs == [2 + QUERY_FIELDS, 2 + STORE_FIELDS, 2 + QUERY_FIELDS, 1]
        assert {type(found) for found in costs} == {int}

    def test_a_count_past_the_maximum_is_kept_as_a_lower_bound(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        query = parse(
            '{ __type(name: "Query") { name } __schema { types { name fields { name } } } }'
        )
        prices = IntrospectionPrices()

        def counting(limit: int) -> int:
            found = priced(app_schema._schema, query, None, None, limit=limit, prices=prices)
            assert found is not None
            with pytest.raises(TooCostly) as stopped:
                price(found.operation, found.root, found.document)
            return stopped.value.counted

        # __type: 1, exact; __schema stops at its types list: 1 + 1 + a type each, past 20.
        counted = counting(20)
        types = len(app_schema._schema.type_map)
        assert counted == 1 + 2 + types
        assert sorted(prices.prices.values()) == [Counted(1, True), Counted(2 + types, False)]
        walks: list[str] = []
        walk = cost.introspected

        def walked(node: Any, *rest: Any) -> int:
            if node.name.value == "__schema":
                walks.append(node.name.value)
            return walk(node, *rest)

        monkeypatch.setattr(cost, "introspected", walked)
        # Known to pass 20: refused again without counting.
        assert (counting(20), walks) == (counted, [])
        # A maximum the bound reaches but does not pass: counted again, and found over it.
        assert counting(counted) > counted
        assert walks == ["__schema"]

    def test_settling_gives_back_what_a_query_did_not_use(self) -> None:
        buckets = CostBuckets(capacity=1000, restore_rate=1, clock=lambda: 0.0)
        found = priced_query("{ stores { id } }")
        assert buckets.take("caller", 51) == 1000 - 51
        two = {"stores": [{"id": "a"}, {"id": "b"}]}
        assert settle(buckets, "caller", found, 51, two) == 3
        assert buckets.available("caller") == 1000 - 3
        created = priced_query('mutation { createStore(input: {name: "X", location: "Y"}) { id } }')
        assert buckets.take("caller", 10) is not None
        assert settle(buckets, "caller", created, 10, {"createStore": {"id": "s"}}) == 10
        assert buckets.available("caller") == 1000 - 3 - 10

    def test_settling_counts_introspection_again_in_full(self) -> None:
        """The query took its budget's maximum: what it returned is counted on a new budget."""
        text = "{ __schema { types { name } } }"
        whole = 2 + len(app_schema._schema.type_map)
        found = priced(app_schema._schema, parse(text), None, None, limit=whole)
        assert found is not None
        assert price(found.operation, found.root, found.document) == whole
        buckets = CostBuckets(capacity=1000, restore_rate=1, clock=lambda: 0.0)
        assert buckets.take("caller", whole) is not None
        assert settle(buckets, "caller", found, whole, {"__schema": {"types": []}}) == whole

    @pytest.mark.parametrize(
        ("query", "path"),
        [
            (PAGE.replace('"2024-01-31"}', '"2024-01-31"}, first: 0'), ["kpiEntries"]),
            (
                "{ unknown { id } invitations(first: 101) { edges { node { id } } } }",
                ["invitations"],
            ),
            (
                "{ stores { id managers(first: 101) { edges { node { id } } } } }",
                ["stores", "managers"],
            ),
            ("{ s: stores { m: sellers(first: 0) { edges { node { id } } } } }", ["s", "m"]),
        ],
    )
    def test_a_page_size_out_of_range_is_found_where_it_is(
        self, query: str, path: list[str]
    ) -> None:
        found = priced_query(query)
        wrong = check_pages(found.operation, found.root, found.document)
        assert wrong is not None
        refusal, at = wrong
        assert (refusal.code, refusal.message, at) == (
            "BAD_REQUEST",
            messages.PAGE_SIZE_RANGE.format(maximum=100),
            path,
        )

    @pytest.mark.parametrize(
        "query", [PAGE, ENTRIES, "{ stores { managers { edges { node { id } } } } }"]
    )
    def test_pages_in_range_or_unsized_pass(self, query: str) -> None:
        found = priced_query(query)
        assert check_pages(found.operation, found.root, found.document) is None

    def test_introspection_spreading_another_fragment_is_counted_again(self) -> None:
        """The same selection spreading a fragment of the same name, place and length, but
        another selection, is another price."""
        prices = IntrospectionPrices()
        costs = []
        for spread in ("types     { name }", "queryType { name }"):
            query = "{ __schema { ...F } } fragment F on __Schema { " + spread + " }"
            found = priced(app_schema._schema, parse(query), None, None, prices=prices)
            assert found is not None
            costs.append(price(found.operation, found.root, found.document))
        assert costs == [2 + len(app_schema._schema.type_map), 2]
