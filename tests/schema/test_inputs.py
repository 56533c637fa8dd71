"""Every GraphQL field that takes input answers a wrong-typed or oversized value with a 4xx
(400 for input objects and texts), never a 500."""

from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from contract import messages
from schema import schema
from tests.support.factories import make_gerant
from tests.support.transport import graphql

PASSWORD = "correct horse battery"
LONG_TEXT = "x" * 10_000
LONG_ITEM = "y" * 300
LIST_LENGTH = 101
# An oversized email or password is refused like a wrong one: login never tells which.
UNAUTHENTICATED_BY_DESIGN = {"login"}
GRAPHQL = schema._schema
# A file's text has no bound of its own (the request's 1 MiB bounds it): a line's 64 KiB does.
OVERSIZED_ARGUMENTS = {("startKpiImport", "content"): "x" * (64 * 1024 + 1)}


def operations() -> list[tuple[str, str, GraphQLField]]:
    found = []
    for kind, root in (("query", GRAPHQL.query_type), ("mutation", GRAPHQL.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            if field.args:
                found.append((kind, name, field))
    return found


def oversized(type_: GraphQLInputType, nested: bool = False) -> Any:
    """A value of the right type, past every bound: long texts, huge numbers, long lists."""
    if isinstance(type_, GraphQLNonNull):
        return oversized(type_.of_type, nested)
    if isinstance(type_, GraphQLList):
        return [oversized(type_.of_type, nested=True) for _ in range(LIST_LENGTH)]
    if isinstance(type_, GraphQLInputObjectType):
        return {name: oversized(field.type, nested) for name, field in type_.fields.items()}
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return {
        "String": LONG_ITEM if nested else LONG_TEXT,
        "ID": LONG_ITEM if nested else LONG_TEXT,
        "Int": 2**31 - 1,
        "Float": 1e308,
        "Money": "9" * 100,
        "Boolean": True,
        "DateTime": "9999-12-31T23:59:59+00:00",
    }[type_.name]


def wrong_typed(type_: GraphQLInputType) -> Any:
    """A value GraphQL itself refuses for this type."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLScalarType) and named.name in ("Int", "Float", "Boolean"):
        return "not a number"
    if isinstance(named, GraphQLInputObjectType):
        return "not an object"
    return {"not": "a scalar"}


def document(kind: str, name: str, field: GraphQLField) -> str:
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = (
        "{ __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""
    )
    return f"{kind}({declared}) {{ {name}({passed}) {selection} }}"


def has_bounded_text(args: dict[str, GraphQLArgument]) -> bool:
    """Whether an argument holds an input object or a String: those must answer 400."""
    return any(
        isinstance(get_named_type(arg.type), GraphQLInputObjectType)
        or get_named_type(arg.type).name == "String"
        for arg in args.values()
    )


def can_be_oversized(args: dict[str, GraphQLArgument]) -> bool:
    """Whether an argument has a bound to go past (enums and dates have none)."""
    return any(
        isinstance(arg.type, GraphQLList)
        or isinstance(get_named_type(arg.type), GraphQLInputObjectType)
        or get_named_type(arg.type).name in ("String", "ID", "Int")
        for arg in args.values()
    )


OPERATIONS = operations()


async def status_of(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]
) -> int:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    errors = response.json().get("errors")
    assert errors, response.text
    status: int = errors[0]["extensions"]["status"]
    return status


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    gerant = await make_gerant(password=PASSWORD)
    response = await client.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token } }",
            "variables": {"e": gerant.email, "p": PASSWORD},
        },
    )
    value: str = response.json()["data"]["login"]["token"]
    return value


def test_the_walk_sees_the_fields_with_input() -> None:
    names = {name for _, name, _ in OPERATIONS}
    assert {"createStore", "syncKpis", "apiCallLog", "kpiSummary", "login"} <= names


@pytest.mark.parametrize(
    ("kind", "name", "field"), OPERATIONS, ids=[name for _, name, _ in OPERATIONS]
)
async def test_wrong_typed_and_oversized_values(
    client: httpx.AsyncClient, token: str, kind: str, name: str, field: GraphQLField
) -> None:
    query = document(kind, name, field)
    for arg, spec in field.args.items():
        variables = {other: oversized(o.type) for other, o in field.args.items()}
        variables[arg] = wrong_typed(spec.type)
        assert await status_of(client, token, query, variables) == 400, (name, arg)
    if not can_be_oversized(field.args):
        return
    variables = {
        arg: OVERSIZED_ARGUMENTS.get((name, arg), oversized(spec.type))
        for arg, spec in field.args.items()
    }
    status = await status_of(client, token, query, variables)
    if name in UNAUTHENTICATED_BY_DESIGN:
        assert status == 401
    elif has_bounded_text(field.args):
        assert status == 400, name
    else:
        assert status in (400, 404), name


# Fields with input below the roots, and how a query reaches them (the store of the fixture).
REACH = {
    "Store": "store(id: $id) {{ {field} }}",
    "Seller": "store(id: $id) {{ sellers {{ edges {{ node {{ {field} }} }} }} }}",
    # Refused before anything runs, so the endpoint need not exist (the id is a store's).
    "WebhookEndpoint": "webhookEndpoint(id: $id) {{ {field} }}",
    "KpiImport": "kpiImport(id: $id) {{ {field} }}",
}


def nested_operations() -> list[tuple[str, str, GraphQLField]]:
    roots = {GRAPHQL.query_type, GRAPHQL.mutation_type, GRAPHQL.subscription_type}
    found = []
    for type_ in GRAPHQL.type_map.values():
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) or type_ in roots:
            continue
        if type_.name.startswith("__"):
            continue
        found += [(type_.name, name, field) for name, field in type_.fields.items() if field.args]
    return found


NESTED = nested_operations()


@pytest.fixture
async def store_id(client: httpx.AsyncClient, token: str) -> str:
    """A store of the logged-in gérant's, with a seller."""
    body = await client.post(
        "/graphql",
        json={
            "query": 'mutation { createStore(input: {name: "Paris", location: "Paris"}) { id } }'
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    created: str = body.json()["data"]["createStore"]["id"]
    seller = await client.post(
        "/graphql",
        json={
            "query": "mutation($s: ID!) { createSeller(storeId: $s, input: "
            '{name: "Ana", email: "ana@example.com", sendInvitation: false}) { id } }',
            "variables": {"s": created},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "errors" not in seller.json(), seller.text
    return created


def test_the_walk_sees_the_nested_fields_with_input() -> None:
    names = {f"{owner}.{name}" for owner, name, _ in NESTED}
    assert names == {
        "Store.managers",
        "Store.sellers",
        "Store.kpiSummary",
        "Seller.kpiSummary",
        "WebhookEndpoint.deliveries",
        "KpiImport.refusedLines",
    }
    assert {owner for owner, _, _ in NESTED} <= set(REACH)


@pytest.mark.parametrize(
    ("owner", "name", "field"), NESTED, ids=[f"{owner}.{name}" for owner, name, _ in NESTED]
)
async def test_nested_fields_refuse_wrong_typed_and_oversized_values(
    client: httpx.AsyncClient, token: str, store_id: str, owner: str, name: str, field: GraphQLField
) -> None:
    declared = "".join(f", ${arg}: {spec.type}" for arg, spec in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = (
        "{ __typename }" if isinstance(get_named_type(field.type), GraphQLObjectType) else ""
    )
    reach = REACH[owner].format(field=f"{name}({passed}) {selection}")
    query = f"query($id: ID!{declared}) {{ {reach} }}"
    for arg, spec in field.args.items():
        variables = {other: oversized(o.type) for other, o in field.args.items()}
        variables[arg] = wrong_typed(spec.type)
        assert await status_of(client, token, query, {"id": store_id, **variables}) == 400, arg
    variables = {arg: oversized(spec.type) for arg, spec in field.args.items()}
    assert await status_of(client, token, query, {"id": store_id, **variables}) == 400


async def test_audit_filters_out_of_range(client: httpx.AsyncClient, token: str) -> None:
    for query in (
        '{ authFailures(from: "0001-01-01T00:00:00+00:00") { count } }',
        "{ apiCallLog(filter: {status: 42}) { edges { cursor } } }",
        '{ apiCallLog(after: "garbage") { edges { cursor } } }',
    ):
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        [error] = response.json()["errors"]
        assert error["extensions"]["status"] == 400, query


async def test_a_whitespace_only_password_is_refused(client: httpx.AsyncClient) -> None:
    outcome = await graphql(
        client,
        "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) "
        "{ token } }",
        None,
        {"t": "whatever", "p": " " * 12},
    )
    assert (outcome.status, outcome.detail) == (
        400,
        "password: " + messages.PASSWORD_BLANK,
    )
