"""Default deny: every GraphQL field states who may call it, and the declaration is enforced."""

import httpx
import pytest
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from contract import messages
from schema import schema
from schema.access import ACCESS_CLASSES, Public
from tests.support.factories import make_gerant, make_key


def declared_fields() -> list[tuple[str, StrawberryField]]:
    """Every root operation and every field computed by a resolver, with its type's name."""
    found = []
    for definition in schema.schema_converter.type_map.values():
        object_definition = definition.definition
        if not isinstance(object_definition, StrawberryObjectDefinition):
            continue
        root = object_definition.name in ("Query", "Mutation", "Subscription")
        for field in object_definition.fields:
            if root or field.base_resolver is not None:
                found.append((f"{object_definition.name}.{field.python_name}", field))
    return found


def access_of(field: StrawberryField) -> list[type]:
    return [
        type(permission)
        for extension in field.extensions
        if isinstance(extension, PermissionExtension)
        for permission in extension.permissions
        if isinstance(permission, ACCESS_CLASSES)
    ]


FIELDS = declared_fields()


def test_the_walk_sees_the_operations() -> None:
    names = {name for name, _ in FIELDS}
    assert {"Query.stores", "Mutation.login", "KpiEntry.store"} <= names


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[name for name, _ in FIELDS])
def test_every_field_declares_exactly_one_access(name: str, field: StrawberryField) -> None:
    assert len(access_of(field)) == 1, f"{name} declares no access (or several)"


def test_only_login_invitations_and_password_resets_are_public() -> None:
    public = sorted(name for name, field in FIELDS if access_of(field) == [Public])
    assert public == [
        "Mutation.accept_invitation",
        "Mutation.login",
        "Mutation.request_password_reset",
        "Mutation.reset_password",
        "Query.invitation_link",
        "Query.password_reset_link",
    ]


async def test_declarations_are_enforced(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    anonymous = await client.post("/graphql", json={"query": "{ stores { id } }"})
    [error] = anonymous.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "UNAUTHENTICATED",
        messages.MISSING_API_KEY,
    )
    with_key = await client.post(
        "/graphql", json={"query": "{ apiKeys { id } }"}, headers={"X-API-Key": key}
    )
    [error] = with_key.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "FORBIDDEN",
        messages.GERANT_SESSION_REQUIRED,
    )
    public = await client.post(
        "/graphql",
        json={"query": 'mutation { login(email: "x@example.com", password: "p") { token } }'},
    )
    [error] = public.json()["errors"]
    assert error["message"] == messages.INVALID_CREDENTIALS
