"""Types that say what they hold: one DateTime form in both transports, enums for roles and
statuses, and one connection type behind every list that can grow without bound."""

import re

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type

from schema import schema
from schema.timestamps import NOT_A_DATETIME
from tests.support.factories import make_gerant, make_key, make_store
from tests.support.logins import PASSWORD, gql, logged_in

pytestmark = pytest.mark.usefixtures("client")

GRAPHQL = schema._schema
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
GROWING_LISTS = ["users", "sellers", "kpiEntries", "apiCallLog", "invitations"]


def test_roles_and_statuses_are_enums() -> None:
    role, status = GRAPHQL.type_map["Role"], GRAPHQL.type_map["UserStatus"]
    assert isinstance(role, GraphQLEnumType)
    assert isinstance(status, GraphQLEnumType)
    assert list(role.values) == ["GERANT", "MANAGER", "SELLER"]
    assert list(status.values) == ["ACTIVE", "SUSPENDED", "DELETED"]
    user = GRAPHQL.type_map["User"]
    assert str(user.fields["role"].type) == "Role!"  # type: ignore[attr-defined]
    assert str(user.fields["status"].type) == "UserStatus!"  # type: ignore[attr-defined]
    filter_ = GRAPHQL.type_map["UserFilter"]
    assert str(filter_.fields["role"].type) == "Role"  # type: ignore[attr-defined]
    update = GRAPHQL.type_map["UpdateUserInput"]
    assert str(update.fields["status"].type) == "UserStatus"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", GROWING_LISTS)
def test_every_growing_list_is_a_relay_connection(name: str) -> None:
    assert GRAPHQL.query_type is not None
    field = GRAPHQL.query_type.fields[name]
    assert {"first", "after"} <= set(field.args)
    connection = get_named_type(field.type)
    assert isinstance(connection, GraphQLObjectType)
    assert set(connection.fields) == {"edges", "pageInfo"}
    edge = get_named_type(connection.fields["edges"].type)
    assert isinstance(edge, GraphQLObjectType)
    assert set(edge.fields) == {"cursor", "node"}
    page_info = get_named_type(connection.fields["pageInfo"].type)
    assert page_info.name == "PageInfo"


async def test_timestamps_are_written_as_rest_writes_them(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant(password=PASSWORD)
    token = await logged_in(client, gerant.email)
    key = await make_key(gerant, expires_in_days=30)
    await make_store(gerant)
    body = await gql(client, "{ apiKeys { createdAt expiresAt lastUsedAt } }", token=token)
    [api_key] = body["data"]["apiKeys"]
    assert ISO_Z.fullmatch(api_key["createdAt"])
    assert ISO_Z.fullmatch(api_key["expiresAt"])
    over_rest = await client.get("/api/integrations/me", headers={"X-API-Key": key})
    me = await gql(client, "{ me { key { createdAt expiresAt } } }", headers={"X-API-Key": key})
    assert me["data"]["me"]["key"] == {
        "createdAt": over_rest.json()["key"]["created_at"],
        "expiresAt": over_rest.json()["key"]["expires_at"],
    }
    login = await gql(
        client,
        f'mutation($e: String!) {{ login(email: $e, password: "{PASSWORD}") {{ expiresAt }} }}',
        {"e": gerant.email},
    )
    assert ISO_Z.fullmatch(login["data"]["login"]["expiresAt"])


async def test_datetimes_are_read_as_iso_8601(client: httpx.AsyncClient) -> None:
    token = await logged_in(client, (await make_gerant(password=PASSWORD)).email)
    query = "query($f: DateTime) { authFailures(from: $f) { count } }"
    for accepted in ("2024-01-15T10:00:00Z", "2024-01-15T11:00:00.250+01:00", "2024-01-15"):
        body = await gql(client, query, {"f": accepted}, token=token)
        assert body["data"] == {"authFailures": []}, (accepted, body)
    refused = await gql(client, query, {"f": "15/01/2024"}, token=token)
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert NOT_A_DATETIME in error["message"]
