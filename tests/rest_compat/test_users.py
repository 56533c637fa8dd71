"""Users endpoints over HTTP on SecantusDB: the spec's shapes, every error on both transports."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from models import Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers import messages
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import Outcome, graphql, rest

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
        variables["input"] = {camel(name): value for name, value in given.items()}
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
        "update",
        "full",
        "stranger_user",
        403,
        messages.USER_NOT_IN_TENANT,
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
        "delete", "full", "stranger_user", 403, messages.USER_NOT_IN_TENANT
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
            "role": "manager",
            "status": "active",
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
            "role": "seller",
            "status": "active",
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
        variables = {"id": world.seller.id, "input": {"status": "suspended", "externalId": None}}
        outcome = await graphql(client, UPDATE_USER, world.keys["full"], variables)
        assert outcome.data == {
            "id": world.seller.id,
            "name": world.seller.name,
            "email": world.seller.email,
            "role": "seller",
            "status": "suspended",
            "phone": "01",
            "storeId": world.store.id,
            "managerId": None,
            "externalId": None,
        }


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
