"""Users endpoints over HTTP on SecantusDB: the spec's shapes, every error on both transports."""

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from infra.tokens import TokenSigner
from models import Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers.pagination import encode_cursor
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET
from tests.support.transport import Outcome, graphql, rest, rest_values
from tests.support.transport import graphql_input as as_graphql_input

pytestmark = pytest.mark.usefixtures("client")

USER_FIELDS = "id name email role status phone storeId managerId externalId"
CREATE_MANAGER = f"""mutation($id: ID!, $input: CreateManagerInput!) {{
  createManager(storeId: $id, input: $input) {{ {USER_FIELDS} }} }}"""
CREATE_SELLER = f"""mutation($id: ID!, $input: CreateSellerInput!) {{
  createSeller(storeId: $id, input: $input) {{ {USER_FIELDS} }} }}"""
UPDATE_USER = f"""mutation($id: ID!, $input: UpdateUserInput!) {{
  updateUser(userId: $id, input: $input) {{ {USER_FIELDS} }} }}"""
DELETE_USER = "mutation($id: ID!) { deleteUser(userId: $id) { success message } }"

MISSING_ID = "user_or_store_that_does_not_exist"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
USERS_WRITE_MISSING = "Insufficient permissions. Requires 'users:write'"


@dataclass(frozen=True)
class World:
    """A tenant with stores and staff in every state, another tenant, and keys of each kind."""

    gerant: User
    store: Store
    closed: Store
    outside: Store
    manager: User
    suspended_manager: User
    seller: User
    deleted_seller: User
    storeless: User
    outsider: User
    stranger_store: Store
    stranger_user: User
    keys: dict[str, str | None]

    def id_of(self, target: str) -> str:
        """The id of the world's object named `target`, or an id nothing has."""
        if target == "missing":
            return MISSING_ID
        found: User | Store = getattr(self, target)
        return found.id


@pytest.fixture
async def world() -> World:
    gerant, stranger = await make_gerant(), await make_gerant()
    store, outside = await make_store(gerant), await make_store(gerant)
    stranger_store = await make_store(stranger)
    return World(
        gerant=gerant,
        store=store,
        closed=await make_store(gerant, active=False),
        outside=outside,
        manager=await make_user(gerant, Role.MANAGER, store),
        suspended_manager=await make_user(gerant, Role.MANAGER, store, UserStatus.SUSPENDED),
        seller=await make_user(gerant, Role.SELLER, store),
        deleted_seller=await make_user(gerant, Role.SELLER, store, UserStatus.DELETED),
        storeless=await make_user(gerant, Role.MANAGER, None),
        outsider=await make_user(gerant, Role.MANAGER, outside),
        stranger_store=stranger_store,
        stranger_user=await make_user(stranger, Role.SELLER, stranger_store),
        keys={
            "full": await make_key(gerant),
            "restricted": await make_key(gerant, store_ids=[store.id]),
            "read_only": await make_key(gerant, permissions=["stores:read", "stores:write"]),
            "none": None,
        },
    )


def camel(name: str) -> str:
    head, *rest_ = name.split("_")
    return head + "".join(part.title() for part in rest_)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    query: str
    has_body: bool = True


OPERATIONS = {
    "create_manager": Operation("POST", "/stores/{id}/managers", CREATE_MANAGER),
    "create_seller": Operation("POST", "/stores/{id}/sellers", CREATE_SELLER),
    "update": Operation("PUT", "/users/{id}", UPDATE_USER),
    "delete": Operation("DELETE", "/users/{id}", DELETE_USER, has_body=False),
}


async def call_both(
    client: httpx.AsyncClient,
    operation: str,
    target_id: str,
    key: str | None,
    body: dict[str, Any],
    graphql_input: dict[str, Any] | None = None,
) -> tuple[Outcome, Outcome]:
    """The same call over REST (snake_case body) and GraphQL (camelCase input)."""
    spec = OPERATIONS[operation]
    over_rest = await rest(
        client,
        spec.method,
        spec.path.format(id=target_id),
        key,
        json=body if spec.has_body else None,
    )
    variables: dict[str, Any] = {"id": target_id}
    if spec.has_body:
        given = body if graphql_input is None else graphql_input
        variables["input"] = as_graphql_input(given)
    over_graphql = await graphql(client, spec.query, key, variables)
    return over_rest, over_graphql


def new_person(_world: World) -> dict[str, Any]:
    return {"name": "Jean Dupont", "email": "jean.dupont@example.com"}


@dataclass(frozen=True)
class Case:
    operation: str
    key: str
    target: str
    status: int
    detail: str
    body: Callable[[World], dict[str, Any]] = new_person
    graphql_input: dict[str, Any] | None = None


ERROR_CASES = {
    "manager: no key": Case("create_manager", "none", "store", 401, messages.MISSING_API_KEY),
    "manager: no users:write": Case(
        "create_manager", "read_only", "store", 403, USERS_WRITE_MISSING
    ),
    "manager: store outside the key's store_ids": Case(
        "create_manager", "restricted", "outside", 403, messages.STORE_NOT_IN_KEY_SCOPE
    ),
    "manager: unknown store": Case(
        "create_manager", "full", "missing", 404, messages.STORE_NOT_FOUND
    ),
    "manager: another tenant's store": Case(
        "create_manager", "full", "stranger_store", 404, messages.STORE_NOT_FOUND
    ),
    "manager: deactivated store": Case(
        "create_manager", "full", "closed", 400, messages.STORE_INACTIVE
    ),
    "manager: email of a manager, other case": Case(
        "create_manager",
        "full",
        "store",
        400,
        messages.EMAIL_TAKEN,
        lambda w: {"name": "Jean", "email": w.manager.email.upper()},
    ),
    "manager: email of the gerant": Case(
        "create_manager",
        "full",
        "store",
        400,
        messages.EMAIL_TAKEN,
        lambda w: {"name": "Jean", "email": w.gerant.email.title()},
    ),
    "manager: email of a deleted seller": Case(
        "create_manager",
        "full",
        "store",
        400,
        messages.EMAIL_TAKEN,
        lambda w: {"name": "Jean", "email": w.deleted_seller.email},
    ),
    "manager: invalid email": Case(
        "create_manager",
        "full",
        "store",
        400,
        "email: value is not a valid email address: An email address must have an @-sign.",
        lambda _: {"name": "Jean", "email": "jean.example.com"},
    ),
    "manager: blank name": Case(
        "create_manager",
        "full",
        "store",
        400,
        "name: String should have at least 1 character",
        lambda _: {"name": "  ", "email": "jean@example.com"},
    ),
    "seller: no users:write": Case("create_seller", "read_only", "store", 403, USERS_WRITE_MISSING),
    "seller: store outside the key's store_ids": Case(
        "create_seller", "restricted", "outside", 403, messages.STORE_NOT_IN_KEY_SCOPE
    ),
    "seller: another tenant's store": Case(
        "create_seller", "full", "stranger_store", 404, messages.STORE_NOT_FOUND
    ),
    "seller: deactivated store": Case(
        "create_seller", "full", "closed", 400, messages.STORE_INACTIVE
    ),
    "seller: suspended manager": Case(
        "create_seller",
        "full",
        "store",
        404,
        messages.MANAGER_NOT_FOUND_IN_STORE,
        lambda w: {**new_person(w), "manager_id": w.suspended_manager.id},
    ),
    "seller: manager of another store": Case(
        "create_seller",
        "full",
        "store",
        404,
        messages.MANAGER_NOT_FOUND_IN_STORE,
        lambda w: {**new_person(w), "manager_id": w.outsider.id},
    ),
    "seller: seller given as manager": Case(
        "create_seller",
        "full",
        "store",
        404,
        messages.MANAGER_NOT_FOUND_IN_STORE,
        lambda w: {**new_person(w), "manager_id": w.seller.id},
    ),
    "seller: email of a seller, other case": Case(
        "create_seller",
        "full",
        "store",
        400,
        messages.EMAIL_TAKEN,
        lambda w: {"name": "Marie", "email": w.seller.email.upper()},
    ),
    "update: no key": Case(
        "update", "none", "seller", 401, messages.MISSING_API_KEY, lambda _: {"name": "X"}
    ),
    "update: no users:write": Case(
        "update", "read_only", "seller", 403, USERS_WRITE_MISSING, lambda _: {"name": "X"}
    ),
    "update: only non-whitelisted fields": Case(
        "update",
        "full",
        "seller",
        400,
        messages.NO_FIELDS_TO_UPDATE,
        lambda w: {"email": "new@example.com", "role": "manager", "store_id": w.outside.id},
        graphql_input={},
    ),
    "update: status deleted": Case(
        "update",
        "full",
        "seller",
        400,
        "status: Input should be 'active' or 'suspended'",
        lambda _: {"status": "deleted"},
    ),
    "update: null name": Case(
        "update",
        "full",
        "seller",
        400,
        f"name: {messages.FIELD_NOT_NULLABLE}",
        lambda _: {"name": None},
    ),
    "update: unknown user": Case(
        "update", "full", "missing", 404, messages.USER_NOT_FOUND, lambda _: {"name": "X"}
    ),
    "update: another tenant's user": Case(
        "update", "full", "stranger_user", 404, messages.USER_NOT_FOUND, lambda _: {"name": "X"}
    ),
    "update: restricted key, another tenant's user": Case(
        "update",
        "restricted",
        "stranger_user",
        404,
        messages.USER_NOT_FOUND,
        lambda _: {"name": "X"},
    ),
    "update: deleted user": Case(
        "update",
        "full",
        "deleted_seller",
        400,
        messages.USER_DELETED_CANNOT_UPDATE,
        lambda _: {"name": "X"},
    ),
    "update: restricted key, user without store": Case(
        "update",
        "restricted",
        "storeless",
        403,
        messages.USER_WITHOUT_STORE,
        lambda _: {"name": "X"},
    ),
    "update: restricted key, user of another store": Case(
        "update",
        "restricted",
        "outsider",
        403,
        messages.STORE_NOT_IN_KEY_SCOPE,
        lambda _: {"name": "X"},
    ),
    "update: gerant's status": Case(
        "update",
        "full",
        "gerant",
        403,
        messages.GERANT_STATUS_LOCKED,
        lambda _: {"status": "active"},
    ),
    "delete: no users:write": Case("delete", "read_only", "seller", 403, USERS_WRITE_MISSING),
    "delete: unknown user": Case("delete", "full", "missing", 404, messages.USER_NOT_FOUND),
    "delete: another tenant's user": Case(
        "delete", "full", "stranger_user", 404, messages.USER_NOT_FOUND
    ),
    "delete: gerant": Case("delete", "full", "gerant", 403, messages.GERANT_NOT_DELETABLE),
    "delete: gerant with a restricted key": Case(
        "delete", "restricted", "gerant", 403, messages.GERANT_NOT_DELETABLE
    ),
    "delete: restricted key, user without store": Case(
        "delete", "restricted", "storeless", 403, messages.USER_WITHOUT_STORE
    ),
    "delete: restricted key, user of another store": Case(
        "delete", "restricted", "outsider", 403, messages.STORE_NOT_IN_KEY_SCOPE
    ),
    "delete: already deleted": Case(
        "delete", "full", "deleted_seller", 400, messages.USER_ALREADY_DELETED
    ),
}


async def all_users() -> list[dict[str, Any]]:
    return [user.model_dump() for user in await User.find_all().sort("_id").to_list()]


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES.keys())
async def test_errors_are_the_same_on_both_transports(
    client: httpx.AsyncClient, world: World, case: Case
) -> None:
    before = await all_users()
    over_rest, over_graphql = await call_both(
        client,
        case.operation,
        world.id_of(case.target),
        world.keys[case.key],
        case.body(world),
        case.graphql_input,
    )
    assert (over_rest.status, over_rest.detail) == (case.status, case.detail)
    assert (over_graphql.status, over_graphql.detail) == (case.status, case.detail)
    assert await all_users() == before


@pytest.mark.parametrize("operation", ["update", "delete"])
async def test_another_tenants_user_is_answered_exactly_as_an_unknown_id(
    client: httpx.AsyncClient, world: World, operation: str
) -> None:
    """Ids are sequential: any difference would tell which ids exist in other tenants."""
    spec = OPERATIONS[operation]
    headers = {"X-API-Key": str(world.keys["full"])}
    answers = []
    for target in (MISSING_ID, world.stranger_user.id):
        response = await client.request(
            spec.method,
            f"/api/integrations{spec.path.format(id=target)}",
            json={"name": "X"} if spec.has_body else None,
            headers=headers,
        )
        variables: dict[str, Any] = {"id": target}
        if spec.has_body:
            variables["input"] = {"name": "X"}
        over_graphql = await client.post(
            "/graphql", json={"query": spec.query, "variables": variables}, headers=headers
        )
        [error] = over_graphql.json()["errors"]
        answers.append(
            (
                response.status_code,
                response.json(),
                response.headers["content-type"],
                error["message"],
                error["extensions"],
            )
        )
    unknown, foreign = answers
    assert (
        foreign
        == unknown
        == (
            404,
            {"detail": messages.USER_NOT_FOUND},
            "application/json",
            messages.USER_NOT_FOUND,
            {"code": "NOT_FOUND", "status": 404},
        )
    )


class TestCreateManager:
    async def test_returns_the_spec_shape_with_the_path_store(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        body = {
            "name": "Jean Dupont",
            "email": "jean.dupont@example.com",
            "phone": "0123456789",
            "external_id": "MANAGER-001",
            "send_invitation": False,
            "store_id": world.outside.id,
            "role": "gerant",
        }
        response = await client.post(
            f"/api/integrations/stores/{world.store.id}/managers",
            json=body,
            headers={"X-API-Key": str(world.keys["full"])},
        )
        assert response.status_code == 200
        manager_id = response.json()["manager_id"]
        assert response.json() == {
            "success": True,
            "manager_id": manager_id,
            "manager": {
                "id": manager_id,
                "name": "Jean Dupont",
                "email": "jean.dupont@example.com",
                "store_id": world.store.id,
                "external_id": "MANAGER-001",
            },
        }
        saved = await User.get(manager_id)
        assert saved is not None
        assert (saved.role, saved.status, saved.store_id, saved.phone, saved.send_invitation) == (
            Role.MANAGER,
            UserStatus.ACTIVE,
            world.store.id,
            "0123456789",
            False,
        )

    async def test_optional_fields_default_to_null(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcome = await rest(
            client,
            "POST",
            f"/stores/{world.store.id}/managers",
            world.keys["restricted"],
            json={"name": "Jean", "email": "jean@example.com"},
        )
        assert outcome.status == 200
        assert outcome.data["manager"]["external_id"] is None
        saved = await User.get(outcome.data["manager_id"])
        assert saved is not None
        assert (saved.phone, saved.send_invitation) == (None, True)

    async def test_over_graphql(self, client: httpx.AsyncClient, world: World) -> None:
        variables = {
            "id": world.store.id,
            "input": {"name": "Jean", "email": "jean@example.com", "externalId": "M-1"},
        }
        outcome = await graphql(client, CREATE_MANAGER, world.keys["full"], variables)
        assert outcome.data == {
            "id": outcome.data["id"],
            "name": "Jean",
            "email": "jean@example.com",
            "role": "MANAGER",
            "status": "ACTIVE",
            "phone": None,
            "storeId": world.store.id,
            "managerId": None,
            "externalId": "M-1",
        }


class TestCreateSeller:
    async def test_returns_the_spec_shape_with_the_given_manager(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        manager = await make_user(
            world.gerant, Role.MANAGER, world.store, created_at=utcnow() + timedelta(days=1)
        )
        body = {
            "name": "Marie Martin",
            "email": "marie.martin@example.com",
            "manager_id": manager.id,
            "phone": "0123456789",
            "external_id": "SELLER-001",
            "send_invitation": True,
            "store_id": world.outside.id,
        }
        outcome = await rest(
            client, "POST", f"/stores/{world.store.id}/sellers", world.keys["full"], json=body
        )
        assert outcome.status == 200
        seller_id = outcome.data["seller_id"]
        assert outcome.data == {
            "success": True,
            "seller_id": seller_id,
            "seller": {
                "id": seller_id,
                "name": "Marie Martin",
                "email": "marie.martin@example.com",
                "store_id": world.store.id,
                "manager_id": manager.id,
                "external_id": "SELLER-001",
            },
        }
        saved = await User.get(seller_id)
        assert saved is not None
        assert (saved.role, saved.store_id, saved.manager_id) == (
            Role.SELLER,
            world.store.id,
            manager.id,
        )

    async def test_without_manager_id_the_earliest_active_manager_is_assigned(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        later = utcnow() + timedelta(minutes=1)
        await make_user(world.gerant, Role.MANAGER, world.store, created_at=later)
        outcome = await rest(
            client,
            "POST",
            f"/stores/{world.store.id}/sellers",
            world.keys["full"],
            json={"name": "Marie", "email": "marie@example.com"},
        )
        assert outcome.data["seller"]["manager_id"] == world.manager.id

    async def test_without_any_active_manager_it_is_null(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcome = await rest(
            client,
            "POST",
            f"/stores/{world.outside.id}/sellers",
            world.keys["full"],
            json={"name": "Marie", "email": "marie@example.com"},
        )
        assert outcome.data["seller"]["manager_id"] == world.outsider.id
        deleted = await rest(client, "DELETE", f"/users/{world.outsider.id}", world.keys["full"])
        assert deleted.status == 200
        again = await rest(
            client,
            "POST",
            f"/stores/{world.outside.id}/sellers",
            world.keys["full"],
            json={"name": "Luc", "email": "luc@example.com"},
        )
        assert (again.status, again.data["seller"]["manager_id"]) == (200, None)

    async def test_over_graphql(self, client: httpx.AsyncClient, world: World) -> None:
        variables = {
            "id": world.store.id,
            "input": {"name": "Marie", "email": "marie@example.com", "phone": "06"},
        }
        outcome = await graphql(client, CREATE_SELLER, world.keys["full"], variables)
        assert outcome.data == {
            "id": outcome.data["id"],
            "name": "Marie",
            "email": "marie@example.com",
            "role": "SELLER",
            "status": "ACTIVE",
            "phone": "06",
            "storeId": world.store.id,
            "managerId": world.manager.id,
            "externalId": None,
        }


class TestEmailUniqueness:
    async def test_is_case_insensitive_across_managers_and_sellers(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        path = f"/stores/{world.store.id}"
        key = world.keys["full"]
        first = await rest(
            client, "POST", f"{path}/managers", key, json={"name": "A", "email": "Jean@x.com"}
        )
        assert first.status == 200
        for role in ("managers", "sellers"):
            again = await rest(
                client, "POST", f"{path}/{role}", key, json={"name": "B", "email": "jean@X.com"}
            )
            assert (again.status, again.detail) == (400, messages.EMAIL_TAKEN)
        assert await User.find({"email_key": "jean@x.com"}).count() == 1

    async def test_concurrent_creations_keep_one(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        emails = ["same@example.com", "SAME@example.com", "Same@Example.com", "sAme@EXAMPLE.com"]
        outcomes = await asyncio.gather(
            *(
                rest(
                    client,
                    "POST",
                    f"/stores/{world.store.id}/sellers",
                    world.keys["full"],
                    json={"name": "Vendeur", "email": email},
                )
                for email in emails
            )
        )
        assert sorted(outcome.status for outcome in outcomes) == [200, 400, 400, 400]
        assert await User.find({"email_key": "same@example.com"}).count() == 1

    async def test_lookalike_emails_are_the_same_email(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        key = await make_key(gerant)
        path = f"/stores/{store.id}/managers"
        first = await rest(client, "POST", path, key, {"name": "A", "email": "alice@example.com"})
        assert first.status == 200
        fullwidth_a = "\uff41"
        for lookalike in (
            f"{fullwidth_a}lice@example.com",
            "ALICE@EXAMPLE.COM",
            "Alice@Example.com",
        ):
            again = await rest(client, "POST", path, key, {"name": "A", "email": lookalike})
            assert (again.status, again.detail) == (400, messages.EMAIL_TAKEN), lookalike


class TestUpdateUser:
    async def test_returns_the_spec_shape(self, client: httpx.AsyncClient, world: World) -> None:
        body = {
            "name": "Jean Dupont Modifié",
            "phone": "0987654321",
            "status": "suspended",
            "external_id": "MANAGER-001-UPDATED",
            "email": "other@example.com",
            "role": "gerant",
            "store_id": world.outside.id,
            "gerant_id": "someone_else",
        }
        outcome = await rest(
            client, "PUT", f"/users/{world.manager.id}", world.keys["restricted"], json=body
        )
        expected_user = {
            "id": world.manager.id,
            "name": "Jean Dupont Modifié",
            "role": "manager",
            "status": "suspended",
            "phone": "0987654321",
            "store_id": world.store.id,
            "external_id": "MANAGER-001-UPDATED",
        }
        assert (outcome.status, outcome.data) == (
            200,
            {"success": True, "user_id": world.manager.id, "user": expected_user},
        )
        saved = await User.get(world.manager.id)
        assert saved is not None
        assert saved.model_dump(include=set(expected_user)) == expected_user
        assert (saved.email, saved.gerant_id) == (world.manager.email, world.gerant.id)

    async def test_null_clears_phone_and_external_id(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["full"]
        path = f"/users/{world.seller.id}"
        await rest(client, "PUT", path, key, json={"phone": "01", "external_id": "S-1"})
        outcome = await rest(client, "PUT", path, key, json={"phone": None, "external_id": None})
        assert outcome.data["user"] == {
            "id": world.seller.id,
            "name": world.seller.name,
            "role": "seller",
            "status": "active",
            "phone": None,
            "store_id": world.store.id,
            "external_id": None,
        }

    async def test_gerant_may_be_renamed_with_a_restricted_key(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcome = await rest(
            client,
            "PUT",
            f"/users/{world.gerant.id}",
            world.keys["restricted"],
            json={"name": "Alice Martin"},
        )
        assert (outcome.status, outcome.data["user"]["role"], outcome.data["user"]["name"]) == (
            200,
            "gerant",
            "Alice Martin",
        )

    async def test_over_graphql_only_given_fields_change(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await rest(
            client, "PUT", f"/users/{world.seller.id}", world.keys["full"], json={"phone": "01"}
        )
        variables = {"id": world.seller.id, "input": {"status": "SUSPENDED", "externalId": None}}
        outcome = await graphql(client, UPDATE_USER, world.keys["full"], variables)
        assert outcome.data == {
            "id": world.seller.id,
            "name": world.seller.name,
            "email": world.seller.email,
            "role": "SELLER",
            "status": "SUSPENDED",
            "phone": "01",
            "storeId": world.store.id,
            "managerId": None,
            "externalId": None,
        }

    async def test_staff_of_a_closed_store_stay_suspended(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        assert (await rest(client, "DELETE", f"/stores/{store.id}", key)).status == 200
        reactivate = await rest(client, "PUT", f"/users/{seller.id}", key, {"status": "active"})
        assert (reactivate.status, reactivate.detail) == (400, messages.STORE_INACTIVE)
        stored = await User.get(seller.id)
        assert stored is not None
        assert stored.status is UserStatus.SUSPENDED


class TestDeleteUser:
    @pytest.mark.parametrize(
        ("target", "message"),
        [("manager", "Manager supprimé avec succès"), ("seller", "Seller supprimé avec succès")],
    )
    async def test_soft_deletes_with_the_spec_message(
        self, client: httpx.AsyncClient, world: World, target: str, message: str
    ) -> None:
        user_id = world.id_of(target)
        outcome = await rest(client, "DELETE", f"/users/{user_id}", world.keys["restricted"])
        assert (outcome.status, outcome.data) == (200, {"success": True, "message": message})
        saved = await User.get(user_id)
        assert saved is not None
        assert saved.status is UserStatus.DELETED

    async def test_over_graphql(self, client: httpx.AsyncClient, world: World) -> None:
        outcome = await graphql(client, DELETE_USER, world.keys["full"], {"id": world.outsider.id})
        assert outcome.data == {"success": True, "message": messages.MANAGER_DELETED}
        again = await graphql(client, DELETE_USER, world.keys["full"], {"id": world.outsider.id})
        assert (again.status, again.detail) == (400, messages.USER_ALREADY_DELETED)


USERS = """query($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node { id name email role status phone storeId managerId externalId createdAt updatedAt }
    }
    pageInfo { hasNextPage endCursor }
  }
}"""
SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
REST_NAMES = {"storeId": "store_id", "managerId": "manager_id", "externalId": "external_id"}


def as_rest(node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL User node under the REST names, its timestamps in the REST form."""
    item = {REST_NAMES.get(name, name): value for name, value in rest_values(node).items()}
    created = datetime.fromisoformat(item.pop("createdAt"))
    updated = datetime.fromisoformat(item.pop("updatedAt"))
    return {
        **item,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def list_both(
    client: httpx.AsyncClient, key: str | None, **query: Any
) -> tuple[Outcome, Outcome]:
    """GET /users with `query` and the GraphQL users field with the same filter; with `limit`
    and `starting_after` as `first` and the cursor of that user."""
    over_rest = await client.get(
        "/api/integrations/users",
        params=query,
        headers={"X-API-Key": key} if key else {},
    )
    body = over_rest.json()
    rest_outcome = Outcome(
        over_rest.status_code, body.get("detail") if over_rest.status_code >= 400 else None, body
    )
    limit = query.pop("limit", 50)
    after = query.pop("starting_after", None)
    variables = {
        "filter": as_graphql_input(query),
        "first": limit,
        "after": None if after is None else encode_cursor([after]),
    }
    return rest_outcome, await graphql(client, USERS, key, variables)


def listed_ids(rest_outcome: Outcome, graphql_outcome: Outcome) -> list[str]:
    """The ids both transports listed, after checking that they listed the same users."""
    assert rest_outcome.status == graphql_outcome.status == 200, (rest_outcome, graphql_outcome)
    nodes = [edge["node"] for edge in graphql_outcome.data["edges"]]
    assert rest_outcome.data["users"] == [as_rest(node) for node in nodes]
    assert rest_outcome.data["has_more"] == graphql_outcome.data["pageInfo"]["hasNextPage"]
    return [user["id"] for user in rest_outcome.data["users"]]


class TestListUsers:
    async def test_the_shape_of_a_user(self, client: httpx.AsyncClient, world: World) -> None:
        created = await rest(
            client,
            "POST",
            f"/stores/{world.store.id}/sellers",
            world.keys["full"],
            json={
                "name": "Marie Martin",
                "email": "Marie.Martin@example.com",
                "phone": "0123456789",
                "external_id": "SELLER-001",
            },
        )
        seller_id = created.data["seller_id"]
        outcome = await rest(client, "GET", "/users?external_id=SELLER-001", world.keys["full"])
        assert outcome.status == 200
        [user] = outcome.data["users"]
        assert ISO_Z.fullmatch(user.pop("created_at"))
        assert ISO_Z.fullmatch(user.pop("updated_at"))
        assert outcome.data["has_more"] is False
        assert user == {
            "id": seller_id,
            "name": "Marie Martin",
            "email": "Marie.Martin@example.com",
            "role": "seller",
            "status": "active",
            "phone": "0123456789",
            "store_id": world.store.id,
            "manager_id": world.manager.id,
            "external_id": "SELLER-001",
        }

    async def test_staff_of_every_status_oldest_first_on_both_transports(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        over_rest, over_graphql = await list_both(client, world.keys["full"])
        assert listed_ids(over_rest, over_graphql) == [
            world.manager.id,
            world.suspended_manager.id,
            world.seller.id,
            world.deleted_seller.id,
            world.storeless.id,
            world.outsider.id,
        ]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"role": "manager"}, ["manager", "suspended_manager", "storeless", "outsider"]),
            ({"role": "seller"}, ["seller", "deleted_seller"]),
            ({"status": "active"}, ["manager", "seller", "storeless", "outsider"]),
            ({"status": "suspended"}, ["suspended_manager"]),
            ({"status": "deleted"}, ["deleted_seller"]),
            ({"store_id": "outside"}, ["outsider"]),
            ({"store_id": "store", "role": "manager", "status": "active"}, ["manager"]),
            ({"email": "seller"}, ["seller"]),
            ({"external_id": "M-1"}, ["manager"]),
            ({"external_id": "NOBODY"}, []),
            ({"email": "nobody@example.com"}, []),
        ],
    )
    async def test_filters(
        self,
        client: httpx.AsyncClient,
        world: World,
        query: dict[str, str],
        expected: list[str],
    ) -> None:
        await User.find_one({"_id": world.manager.id}).update({"$set": {"external_id": "M-1"}})
        given = dict(query)
        if "store_id" in given:
            given["store_id"] = world.id_of(given["store_id"])
        if "email" in given and given["email"] == "seller":
            given["email"] = f"  {world.seller.email.upper()} "
        over_rest, over_graphql = await list_both(client, world.keys["full"], **given)
        assert listed_ids(over_rest, over_graphql) == [world.id_of(name) for name in expected]

    async def test_pages_stripe_style_and_relay_style(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["full"]
        seen: list[str] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"limit": 4}
            if after is not None:
                query["starting_after"] = after
            over_rest, over_graphql = await list_both(client, key, **query)
            page = listed_ids(over_rest, over_graphql)
            seen += page
            if not over_rest.data["has_more"]:
                break
            assert over_graphql.data["pageInfo"]["endCursor"] == encode_cursor([page[-1]])
            after = page[-1]
        assert len(seen) == 6
        assert seen == sorted(seen)
        first_two = await graphql(client, USERS, key, {"first": 2})
        cursor = first_two.data["pageInfo"]["endCursor"]
        assert first_two.data["edges"][-1]["cursor"] == cursor
        rest_of_them = await graphql(client, USERS, key, {"first": 10, "after": cursor})
        assert [edge["node"]["id"] for edge in rest_of_them.data["edges"]] == seen[2:]

    async def test_a_restricted_key_sees_its_stores_staff_only(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["restricted"]
        over_rest, over_graphql = await list_both(client, key)
        assert listed_ids(over_rest, over_graphql) == [
            world.manager.id,
            world.suspended_manager.id,
            world.seller.id,
            world.deleted_seller.id,
        ]
        for found in await list_both(client, key, email=world.outsider.email):
            assert found.status == 200
        assert listed_ids(*await list_both(client, key, email=world.outsider.email)) == []
        for refused in await list_both(client, key, store_id=world.outside.id):
            assert (refused.status, refused.detail) == (403, messages.STORE_NOT_IN_KEY_SCOPE)

    @pytest.mark.parametrize(
        ("key", "query", "status", "detail"),
        [
            ("none", {}, 401, messages.MISSING_API_KEY),
            ("read_only", {}, 403, "Insufficient permissions. Requires 'users:read'"),
            ("full", {"store_id": MISSING_ID}, 404, messages.STORE_NOT_FOUND),
            ("full", {"role": "gerant"}, 400, "role: Input should be 'manager' or 'seller'"),
        ],
    )
    async def test_errors_are_the_same_on_both_transports(
        self,
        client: httpx.AsyncClient,
        world: World,
        key: str,
        query: dict[str, str],
        status: int,
        detail: str,
    ) -> None:
        for outcome in await list_both(client, world.keys[key], **query):
            assert (outcome.status, outcome.detail) == (status, detail)

    async def test_an_unknown_status_is_refused_by_each_transports_own_check(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        over_rest, over_graphql = await list_both(client, world.keys["full"], status="gone")
        assert (over_rest.status, over_rest.detail) == (
            400,
            "status: Input should be 'active', 'suspended' or 'deleted'",
        )
        assert over_graphql.status == 400
        assert over_graphql.detail is not None
        assert "Value 'GONE' does not exist in 'UserStatus' enum" in over_graphql.detail

    @pytest.mark.parametrize(
        ("query", "detail"),
        [
            ("limit=0", "limit: Input should be greater than or equal to 1"),
            ("limit=101", "limit: Input should be less than or equal to 100"),
            (
                "limit=x",
                "limit: Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                f"starting_after={'x' * 201}",
                "starting_after: String should have at most 200 characters",
            ),
        ],
    )
    async def test_rest_paging_bounds(
        self, client: httpx.AsyncClient, world: World, query: str, detail: str
    ) -> None:
        outcome = await rest(client, "GET", f"/users?{query}", world.keys["full"])
        assert (outcome.status, outcome.detail) == (400, detail)

    @pytest.mark.parametrize(
        ("variables", "detail"),
        [
            ({"first": 0}, "first: must be between 1 and 100"),
            ({"first": 101}, "first: must be between 1 and 100"),
            ({"after": "not a cursor"}, messages.INVALID_CURSOR),
        ],
    )
    async def test_graphql_paging_bounds(
        self, client: httpx.AsyncClient, world: World, variables: dict[str, Any], detail: str
    ) -> None:
        outcome = await graphql(client, USERS, world.keys["full"], variables)
        assert (outcome.status, outcome.detail) == (400, detail)

    async def test_a_lost_create_answer_is_recovered_by_email(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """The retry of a create whose answer was lost gets 400; the lookup gives the id."""
        path = f"/stores/{world.store.id}/sellers"
        body = {"name": "Marie", "email": "marie@example.com", "external_id": "S-9"}
        first = await rest(client, "POST", path, world.keys["full"], json=body)
        retry = await rest(client, "POST", path, world.keys["full"], json=body)
        assert (retry.status, retry.detail) == (400, messages.EMAIL_TAKEN)
        found = await rest(client, "GET", "/users?email=marie@example.com", world.keys["full"])
        assert [user["id"] for user in found.data["users"]] == [first.data["seller_id"]]

    @pytest.mark.parametrize(
        ("role", "expected"),
        [
            (
                "gerant",
                [
                    "manager",
                    "suspended_manager",
                    "seller",
                    "deleted_seller",
                    "storeless",
                    "outsider",
                ],
            ),
            ("manager", ["manager", "suspended_manager", "seller", "deleted_seller"]),
        ],
    )
    async def test_sessions_see_what_their_role_reads(
        self, client: httpx.AsyncClient, world: World, role: str, expected: list[str]
    ) -> None:
        user = world.gerant if role == "gerant" else world.manager
        token = SIGNER.issue(user).token
        outcome = await graphql(client, USERS, None, {}, token=token)
        assert [edge["node"]["id"] for edge in outcome.data["edges"]] == [
            world.id_of(name) for name in expected
        ]

    async def test_a_seller_session_is_refused(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        token = SIGNER.issue(world.seller).token
        outcome = await graphql(client, USERS, None, {}, token=token)
        assert (outcome.status, outcome.detail) == (
            403,
            "Insufficient permissions. Requires 'users:read'",
        )


class TestStaffExternalIds:
    """A tenant's managers and sellers that are not deleted have distinct external ids."""

    @pytest.mark.parametrize("operation", ["create_manager", "create_seller"])
    async def test_a_taken_external_id_is_400_on_both_transports(
        self, client: httpx.AsyncClient, world: World, operation: str
    ) -> None:
        await User.find_one({"_id": world.suspended_manager.id}).update(
            {"$set": {"external_id": "TAKEN"}}
        )
        before = await all_users()
        over_rest, over_graphql = await call_both(
            client,
            operation,
            world.store.id,
            world.keys["full"],
            {"name": "Jean", "email": "jean@example.com", "external_id": "TAKEN"},
        )
        for outcome in (over_rest, over_graphql):
            assert (outcome.status, outcome.detail) == (400, messages.USER_EXTERNAL_ID_TAKEN)
        assert await all_users() == before

    async def test_an_update_to_a_taken_external_id_is_400(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await User.find_one({"_id": world.manager.id}).update({"$set": {"external_id": "M-1"}})
        over_rest, over_graphql = await call_both(
            client, "update", world.seller.id, world.keys["full"], {"external_id": "M-1"}
        )
        for outcome in (over_rest, over_graphql):
            assert (outcome.status, outcome.detail) == (400, messages.USER_EXTERNAL_ID_TAKEN)
        same = await rest(
            client, "PUT", f"/users/{world.manager.id}", world.keys["full"], {"external_id": "M-1"}
        )
        assert same.status == 200

    async def test_another_tenant_and_deleted_users_do_not_hold_it(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await User.find_one({"_id": world.stranger_user.id}).update(
            {"$set": {"external_id": "S-1"}}
        )
        await User.find_one({"_id": world.deleted_seller.id}).update(
            {"$set": {"external_id": "S-2"}}
        )
        path = f"/stores/{world.store.id}/sellers"
        for n in (1, 2):
            body = {"name": "Jean", "email": f"jean{n}@example.com", "external_id": f"S-{n}"}
            outcome = await rest(client, "POST", path, world.keys["full"], json=body)
            assert (outcome.status, outcome.data["seller"]["external_id"]) == (200, f"S-{n}")
        deleted = await rest(client, "DELETE", f"/users/{world.seller.id}", world.keys["full"])
        assert deleted.status == 200

    async def test_deleting_frees_the_external_id(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["full"]
        path = f"/stores/{world.store.id}/sellers"
        first = await rest(
            client,
            "POST",
            path,
            key,
            json={"name": "A", "email": "a@x.com", "external_id": "CODE-7"},
        )
        taken = await rest(
            client,
            "POST",
            path,
            key,
            json={"name": "B", "email": "b@x.com", "external_id": "CODE-7"},
        )
        assert (taken.status, taken.detail) == (400, messages.USER_EXTERNAL_ID_TAKEN)
        await rest(client, "DELETE", f"/users/{first.data['seller_id']}", key)
        reused = await rest(
            client,
            "POST",
            path,
            key,
            json={"name": "B", "email": "b@x.com", "external_id": "CODE-7"},
        )
        assert reused.status == 200
        history = await rest(client, "GET", "/users?external_id=CODE-7", key)
        assert [(u["id"], u["status"]) for u in history.data["users"]] == [
            (first.data["seller_id"], "deleted"),
            (reused.data["seller_id"], "active"),
        ]

    async def test_concurrent_creations_keep_one(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcomes = await asyncio.gather(
            *(
                rest(
                    client,
                    "POST",
                    f"/stores/{world.store.id}/sellers",
                    world.keys["full"],
                    json={"name": "V", "email": f"v{n}@example.com", "external_id": "SAME"},
                )
                for n in range(4)
            )
        )
        assert sorted(outcome.status for outcome in outcomes) == [200, 400, 400, 400]
        assert await User.find({"external_id": "SAME"}).count() == 1

    async def test_graphql_sellers_show_their_external_id(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await User.find_one({"_id": world.seller.id}).update({"$set": {"external_id": "S-1"}})
        token = SIGNER.issue(world.gerant).token
        outcome = await graphql(
            client,
            "query($s: ID) { sellers(storeId: $s) { edges { node { id externalId } } } }",
            None,
            {"s": world.store.id},
            token=token,
        )
        assert outcome.data["edges"] == [{"node": {"id": world.seller.id, "externalId": "S-1"}}]


def millis_z(moment: datetime) -> str:
    """`2024-01-15T10:00:00.123Z`: a moment to the millisecond, as a reader may send it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


USER = """query($id: ID!) { user(id: $id) {
  id name email role status phone storeId managerId externalId createdAt updatedAt } }"""


class TestIncrementalAndSingleReads:
    async def test_updated_since_is_inclusive_on_both_transports(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        moment = utcnow() - timedelta(minutes=5)
        await User.find({"gerant_id": world.gerant.id}).update(
            {"$set": {"updated_at": moment - timedelta(days=1)}}
        )
        for user, shift in ((world.manager, 0), (world.seller, 1), (world.outsider, -1)):
            await User.find_one({"_id": user.id}).update(
                {"$set": {"updated_at": moment + timedelta(milliseconds=shift)}}
            )
        key = world.keys["full"]
        at = await list_both(client, key, updated_since=millis_z(moment))
        assert listed_ids(*at) == [world.manager.id, world.seller.id]
        later = millis_z(moment + timedelta(milliseconds=1))
        assert listed_ids(*await list_both(client, key, updated_since=later)) == [world.seller.id]
        paris = (moment + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+02:00"
        assert listed_ids(*await list_both(client, key, updated_since=paris)) == [
            world.manager.id,
            world.seller.id,
        ]

    @pytest.mark.parametrize("value", ["yesterday", "1700000000", "2024-01-15T10:00:00 02:00"])
    async def test_an_invalid_updated_since_is_400(
        self, client: httpx.AsyncClient, world: World, value: str
    ) -> None:
        outcome = await rest(client, "GET", f"/users?updated_since={value}", world.keys["full"])
        assert (outcome.status, outcome.data) == (
            400,
            {"detail": f"updated_since: {messages.TIMESTAMP_INVALID}"},
        )

    async def test_a_put_moves_updated_at_as_read_by_id_and_since(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["full"]
        an_hour_ago = utcnow() - timedelta(hours=1)
        await User.find({"gerant_id": world.gerant.id}).update(
            {"$set": {"updated_at": an_hour_ago}}
        )
        before = await rest(client, "GET", f"/users/{world.seller.id}", key)
        assert before.data["user"]["updated_at"] == an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
        put = await rest(client, "PUT", f"/users/{world.seller.id}", key, json={"phone": "02"})
        assert put.status == 200
        after = await rest(client, "GET", f"/users/{world.seller.id}", key)
        moved = after.data["user"]["updated_at"]
        assert moved > before.data["user"]["updated_at"]
        # The reader's next round: from the latest updated_at he saw, as written.
        since = await rest(client, "GET", f"/users?updated_since={moved}", key)
        assert since.data == {"users": [after.data["user"]], "has_more": False}

    async def test_get_one_user_as_the_list_shows_him(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["full"]
        listed = await rest(client, "GET", "/users", key)
        for user in listed.data["users"]:
            outcome = await rest(client, "GET", f"/users/{user['id']}", key)
            assert (outcome.status, outcome.data) == (200, {"user": user})
            over_graphql = await graphql(client, USER, key, {"id": user["id"]})
            assert as_rest(over_graphql.data) == user

    @pytest.mark.parametrize(
        ("key", "target", "status", "detail"),
        [
            ("full", "stranger_user", 404, messages.USER_NOT_FOUND),
            ("full", "missing", 404, messages.USER_NOT_FOUND),
            ("full", "gerant", 404, messages.USER_NOT_FOUND),
            ("restricted", "outsider", 403, messages.STORE_NOT_IN_KEY_SCOPE),
            ("read_only", "seller", 403, "Insufficient permissions. Requires 'users:read'"),
            ("none", "seller", 401, messages.MISSING_API_KEY),
        ],
    )
    async def test_get_one_user_refusals_on_both_transports(
        self,
        client: httpx.AsyncClient,
        world: World,
        key: str,
        target: str,
        status: int,
        detail: str,
    ) -> None:
        user_id = world.id_of(target)
        over_rest = await rest(client, "GET", f"/users/{user_id}", world.keys[key])
        assert (over_rest.status, over_rest.data) == (status, {"detail": detail})
        over_graphql = await graphql(client, USER, world.keys[key], {"id": user_id})
        assert (over_graphql.status, over_graphql.detail) == (status, detail)

    async def test_outside_the_keys_stores_a_get_answers_as_a_put(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = world.keys["restricted"]
        path = f"/users/{world.outsider.id}"
        read = await rest(client, "GET", path, key)
        write = await rest(client, "PUT", path, key, json={"phone": "02"})
        assert (read.status, read.data) == (write.status, write.data)
