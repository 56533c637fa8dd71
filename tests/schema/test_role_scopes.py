"""What each role sees over GraphQL: a gérant his tenant, a manager his store, a seller himself."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from contract.credentials import actor_for_user
from infra.tokens import TokenSigner
from models import Role, Store, User
from resolvers.sessions import PasswordChange, set_password
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import record
from tests.support.logins import PASSWORD, error_of, gql, logged_in
from tests.support.settings import TEST_JWT_SECRET

SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
DAY = "2025-03-03"
PERIOD = {"from": DAY, "to": DAY}
STORES = "{ stores { id } }"
SELLERS = """query($s: ID) {
  sellers(storeId: $s) { edges { node { id name email status storeId managerId } } }
}"""
ENTRIES = """query($f: KpiFilter!) {
  kpiEntries(filter: $f, first: 100) { edges { node { seller { id } store { id } } } }
}"""
SUMMARY = "query($f: KpiFilter!) { kpiSummary(filter: $f, groupBy: SELLER) { key } }"
GERANT_ONLY_QUERIES = [
    "{ apiKeys { id } }",
    "{ apiCallLog { edges { node { id } } } }",
    "{ authFailures { reason } }",
]
FORBIDDEN = "FORBIDDEN"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


@dataclass
class World:
    gerant: User
    paris: Store
    lyon: Store
    elsewhere: Store  # another tenant's
    manager: User  # Paris
    ana: User  # seller in Paris, under the manager
    ben: User  # seller in Paris
    carl: User  # seller in Lyon
    tokens: dict[str, str]  # by role


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    """Sessions are issued directly (logging in is tested on its own): no password hashing."""
    del client  # the app's lifespan has initialised the database
    gerant = await make_gerant()
    paris, lyon = await make_store(gerant, "Paris"), await make_store(gerant, "Lyon")
    manager = await make_user(gerant, Role.MANAGER, paris)
    await make_user(gerant, Role.MANAGER, lyon)
    ana = await make_user(gerant, Role.SELLER, paris, manager_id=manager.id)
    ben = await make_user(gerant, Role.SELLER, paris, manager_id=manager.id)
    carl = await make_user(gerant, Role.SELLER, lyon)
    actor = actor_for_user(gerant)
    await record(actor, paris, DAY, (ana, "10.00", 1, 1, 1), (ben, "20.00", 2, 2, 2))
    await record(actor, lyon, DAY, (carl, "30.00", 3, 3, 3))
    other = await make_gerant()
    elsewhere = await make_store(other)
    stranger = await make_user(other, Role.SELLER, elsewhere)
    await record(actor_for_user(other), elsewhere, DAY, (stranger, "5.00", 1, 1, 1))
    tokens = {
        role: SIGNER.issue(user).token
        for role, user in (("gerant", gerant), ("manager", manager), ("seller", ana))
    }
    return World(gerant, paris, lyon, elsewhere, manager, ana, ben, carl, tokens)


async def data(
    client: httpx.AsyncClient, world: World, role: str, query: str, **variables: Any
) -> Any:
    body = await gql(client, query, variables, token=world.tokens[role])
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def error(
    client: httpx.AsyncClient, world: World, role: str, query: str, **variables: Any
) -> tuple[str, str]:
    return error_of(await gql(client, query, variables, token=world.tokens[role]))


def seller_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "status": "ACTIVE",
        "storeId": user.store_id,
        "managerId": user.manager_id,
    }


def nodes(connection: Any) -> list[Any]:
    return [edge["node"] for edge in connection["edges"]]


def sellers_of(entries: Any) -> list[str]:
    return [edge["node"]["seller"]["id"] for edge in entries["edges"]]


class TestGerant:
    async def test_sees_the_whole_tenant(self, client: httpx.AsyncClient, world: World) -> None:
        w = world
        assert await data(client, w, "gerant", STORES) == [{"id": w.paris.id}, {"id": w.lyon.id}]
        assert nodes(await data(client, w, "gerant", SELLERS)) == [
            seller_row(w.ana),
            seller_row(w.ben),
            seller_row(w.carl),
        ]
        assert nodes(await data(client, w, "gerant", SELLERS, s=w.lyon.id)) == [seller_row(w.carl)]
        entries = await data(client, w, "gerant", ENTRIES, f=PERIOD)
        assert sorted(sellers_of(entries)) == sorted([w.ana.id, w.ben.id, w.carl.id])
        summary = await data(client, w, "gerant", SUMMARY, f=PERIOD)
        assert sorted(row["key"] for row in summary) == sorted([w.ana.id, w.ben.id, w.carl.id])
        for query in GERANT_ONLY_QUERIES:
            body = await gql(client, query, token=w.tokens["gerant"])
            assert "errors" not in body, (query, body)

    async def test_another_tenants_store_is_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        code, _ = await error(client, world, "gerant", SELLERS, s=world.elsewhere.id)
        assert code == "NOT_FOUND"


class TestManager:
    async def test_sees_his_store_its_sellers_and_their_kpis(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        assert await data(client, w, "manager", STORES) == [{"id": w.paris.id}]
        expected = [seller_row(w.ana), seller_row(w.ben)]
        assert nodes(await data(client, w, "manager", SELLERS)) == expected
        assert nodes(await data(client, w, "manager", SELLERS, s=w.paris.id)) == expected
        entries = await data(client, w, "manager", ENTRIES, f=PERIOD)
        assert sorted(sellers_of(entries)) == sorted([w.ana.id, w.ben.id])
        summary = await data(client, w, "manager", SUMMARY, f=PERIOD)
        assert sorted(row["key"] for row in summary) == sorted([w.ana.id, w.ben.id])
        one = await data(client, w, "manager", ENTRIES, f={**PERIOD, "sellerIds": [w.ben.id]})
        assert sellers_of(one) == [w.ben.id]

    async def test_other_stores_are_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        outside = (FORBIDDEN, messages.STORE_NOT_IN_USER_SCOPE)
        assert await error(client, w, "manager", SELLERS, s=w.lyon.id) == outside
        lyon = {**PERIOD, "storeIds": [w.lyon.id]}
        assert await error(client, w, "manager", ENTRIES, f=lyon) == outside
        assert await error(client, w, "manager", SUMMARY, f=lyon) == outside
        # Naming another store's seller finds nothing of his.
        carl = await data(client, w, "manager", ENTRIES, f={**PERIOD, "sellerIds": [w.carl.id]})
        assert sellers_of(carl) == []

    async def test_gerant_queries_are_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for query in GERANT_ONLY_QUERIES:
            code, _ = await error(client, world, "manager", query)
            assert code == FORBIDDEN, query


class TestSeller:
    async def test_sees_only_his_own_kpis(self, client: httpx.AsyncClient, world: World) -> None:
        w = world
        entries = await data(client, w, "seller", ENTRIES, f=PERIOD)
        assert sellers_of(entries) == [w.ana.id]
        [row] = await data(client, w, "seller", SUMMARY, f=PERIOD)
        assert row["key"] == w.ana.id
        own = await data(client, w, "seller", ENTRIES, f={**PERIOD, "sellerIds": [w.ana.id]})
        assert sellers_of(own) == [w.ana.id]
        paris = {**PERIOD, "storeIds": [w.paris.id]}
        assert sellers_of(await data(client, w, "seller", ENTRIES, f=paris)) == [w.ana.id]

    async def test_other_sellers_and_stores_are_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        own_only = (FORBIDDEN, messages.SELLER_OWN_KPIS_ONLY)
        for seller_ids in ([w.ben.id], [w.ana.id, w.ben.id]):
            others = {**PERIOD, "sellerIds": seller_ids}
            assert await error(client, w, "seller", ENTRIES, f=others) == own_only
            assert await error(client, w, "seller", SUMMARY, f=others) == own_only
        lyon = {**PERIOD, "storeIds": [w.lyon.id]}
        assert await error(client, w, "seller", ENTRIES, f=lyon) == (
            FORBIDDEN,
            messages.STORE_NOT_IN_USER_SCOPE,
        )

    async def test_every_other_query_is_forbidden(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for query in [STORES, SELLERS, *GERANT_ONLY_QUERIES]:
            code, _ = await error(client, world, "seller", query)
            assert code == FORBIDDEN, query


WRITES = {
    "createStore": (
        'mutation { createStore(input: {name: "N", location: "L"}) { id } }',
        {},
    ),
    "deleteStore": ("mutation($s: ID!) { deleteStore(storeId: $s) { success } }", {"s": "paris"}),
    "createManager": (
        "mutation($s: ID!) { createManager(storeId: $s, "
        'input: {name: "N", email: "n@example.com"}) { id } }',
        {"s": "paris"},
    ),
    "createSeller": (
        "mutation($s: ID!) { createSeller(storeId: $s, "
        'input: {name: "N", email: "n@example.com"}) { id } }',
        {"s": "paris"},
    ),
    "updateUser": (
        'mutation($u: ID!) { updateUser(userId: $u, input: {name: "N"}) { id } }',
        {"u": "ben"},
    ),
    "deleteUser": ("mutation($u: ID!) { deleteUser(userId: $u) { success } }", {"u": "ben"}),
    "syncKpis": (
        "mutation($s: ID!, $u: ID!) { syncKpis(input: {storeId: $s, date: "
        '"2025-03-04", kpiEntries: [{sellerId: $u, caJournalier: 1, nbVentes: 1, '
        "nbArticles: 1}]}) { entriesCreated } }",
        {"s": "paris", "u": "ana"},
    ),
    "createApiKey": (
        'mutation { createApiKey(input: {name: "k", permissions: ["kpi:read"]}) { key } }',
        {},
    ),
    "deactivateApiKey": ('mutation { deactivateApiKey(id: "key_x") { id } }', {}),
    "rotateApiKey": ('mutation { rotateApiKey(id: "key_x") { key } }', {}),
    "resendInvitation": (
        "mutation($u: ID!) { resendInvitation(userId: $u) { status } }",
        {"u": "ben"},
    ),
}


@pytest.mark.parametrize("role", ["manager", "seller"])
async def test_staff_sessions_write_nothing(
    client: httpx.AsyncClient, world: World, role: str
) -> None:
    ids = {"paris": world.paris.id, "ben": world.ben.id, "ana": world.ana.id}
    for operation, (query, names) in WRITES.items():
        variables = {name: ids[value] for name, value in names.items()}
        code, _ = await error(client, world, role, query, **variables)
        assert code == FORBIDDEN, operation


async def test_an_api_key_cannot_list_sellers(client: httpx.AsyncClient, world: World) -> None:
    key = await make_key(world.gerant, ["stores:read"])
    body = await gql(client, SELLERS, headers={"X-API-Key": key})
    assert error_of(body) == (FORBIDDEN, messages.USER_SESSION_REQUIRED)


class TestSuspension:
    UPDATE = (
        "mutation($u: ID!, $s: UserStatus!) { updateUser(userId: $u, input: {status: $s}) { id } }"
    )
    DELETE = "mutation($u: ID!) { deleteUser(userId: $u) { success } }"

    async def test_a_suspended_manager_is_out_at_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        await set_password(data=PasswordChange(email=w.manager.email, password=PASSWORD))
        assert (await error(client, w, "manager", STORES))[0] == "UNAUTHENTICATED"  # older
        assert await logged_in(client, w.manager.email)
        manager = await User.get(w.manager.id)
        assert manager is not None
        w.tokens["manager"] = SIGNER.issue(manager).token
        assert await data(client, w, "manager", STORES) == [{"id": w.paris.id}]
        await data(client, w, "gerant", self.UPDATE, u=w.manager.id, s="SUSPENDED")
        assert (await error(client, w, "manager", STORES))[0] == "UNAUTHENTICATED"
        login = await gql(client, LOGIN, {"e": w.manager.email, "p": PASSWORD})
        assert error_of(login) == ("UNAUTHENTICATED", messages.INVALID_CREDENTIALS)

    async def test_a_deleted_seller_is_out_at_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        await set_password(data=PasswordChange(email=w.ana.email, password=PASSWORD))
        assert await logged_in(client, w.ana.email)
        ana = await User.get(w.ana.id)
        assert ana is not None
        w.tokens["seller"] = SIGNER.issue(ana).token
        assert await data(client, w, "seller", ENTRIES, f=PERIOD) is not None
        await data(client, w, "gerant", self.DELETE, u=w.ana.id)
        assert (await error(client, w, "seller", ENTRIES, f=PERIOD))[0] == "UNAUTHENTICATED"
        login = await gql(client, LOGIN, {"e": w.ana.email, "p": PASSWORD})
        assert error_of(login) == ("UNAUTHENTICATED", messages.INVALID_CREDENTIALS)


VIEWER = "{ viewer { id name email role store { id name } } }"


class TestViewer:
    """Who is logged in, as the pages show him."""

    @pytest.mark.parametrize("role", ["gerant", "manager", "seller"])
    async def test_each_session_sees_itself_and_its_store(
        self, client: httpx.AsyncClient, world: World, role: str
    ) -> None:
        user = {"gerant": world.gerant, "manager": world.manager, "seller": world.ana}[role]
        store = None if role == "gerant" else {"id": world.paris.id, "name": world.paris.name}
        assert await data(client, world, role, VIEWER) == {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": role.upper(),
            "store": store,
        }

    async def test_api_keys_have_no_viewer(self, client: httpx.AsyncClient, world: World) -> None:
        body = await gql(client, VIEWER, headers={"X-API-Key": await make_key(world.gerant)})
        assert error_of(body) == (FORBIDDEN, messages.USER_SESSION_REQUIRED)

    async def test_me_and_viewer_leave_the_rest_of_the_answer(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """Each is null, with its own error, for the credential it does not describe."""
        query = "{ viewer { id } me { key { name } } stores { id } }"
        stores = sorted((world.paris.id, world.lyon.id))
        for credential, present, missing, message in (
            ("session", "viewer", "me", messages.API_KEY_REQUIRED),
            ("key", "me", "viewer", messages.USER_SESSION_REQUIRED),
        ):
            if credential == "session":
                body = await gql(client, query, token=world.tokens["gerant"])
            else:
                key = await make_key(world.gerant)
                body = await gql(client, query, headers={"X-API-Key": key})
            [error] = body["errors"]
            assert (error["path"], error["extensions"]["code"], error["message"]) == (
                [missing],
                FORBIDDEN,
                message,
            )
            assert body["data"][missing] is None
            assert body["data"][present] is not None
            assert sorted(store["id"] for store in body["data"]["stores"]) == stores
