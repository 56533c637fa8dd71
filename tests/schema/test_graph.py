"""The graph: a store with its managers, sellers and figures, a person with his store, a seller
with his manager and figures; every access rule of the top-level operations applies field by
field, for each kind of key and each role."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from contract.credentials import actor_for_user
from infra.tokens import TokenSigner
from models import Role, Store, User, UserStatus
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import record
from tests.support.logins import gql
from tests.support.settings import TEST_JWT_SECRET

SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
DAY = "2025-03-03"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FORBIDDEN = "FORBIDDEN"
USERS_READ = "Insufficient permissions. Requires 'users:read'"
STORES_READ = "Insufficient permissions. Requires 'stores:read'"
KPI_READ = "Insufficient permissions. Requires 'kpi:read'"

ROWS = "key label ca nbVentes"
STORE = f"""query($id: ID!) {{
  store(id: $id) {{
    id name externalId createdAt
    managers {{ edges {{ node {{ id name role status externalId }} }} }}
    sellers {{ edges {{ node {{ id name status manager {{ id }} store {{ id }} }} }} }}
    kpiSummary(from: "{DAY}", to: "{DAY}", groupBy: TOTAL) {{ {ROWS} }}
  }}
}}"""
STORE_NAME = "query($id: ID!) { store(id: $id) { id name } }"
STORE_MANAGERS = "query($id: ID!) { store(id: $id) { name managers { edges { node { id } } } } }"
STORE_SUMMARY = f"""query($id: ID!) {{
  store(id: $id) {{ name kpiSummary(from: "{DAY}", to: "{DAY}", groupBy: SELLER) {{ key }} }}
}}"""
SELLERS_BY_STATUS = """query($id: ID!, $status: UserStatus, $first: Int!, $after: String) {
  store(id: $id) {
    sellers(status: $status, first: $first, after: $after) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""
USERS_WITH_STORE = """{
  users(filter: {role: SELLER}) {
    edges { node { id store { id name } ... on Seller { manager { id } } } }
  }
}"""
SELLER_SUMMARY = f"""{{
  sellers {{ edges {{ node {{
    id kpiSummary(from: "{DAY}", to: "{DAY}", groupBy: TOTAL) {{ key ca }}
  }} }} }}
}}"""
TOP_SUMMARY = """query($f: KpiFilter!, $g: KpiGroupBy!) {
  kpiSummary(filter: $f, groupBy: $g) { key label ca nbVentes }
}"""


@dataclass
class World:
    gerant: User
    paris: Store
    lyon: Store
    elsewhere: Store  # another tenant's
    manager: User  # Paris
    ana: User  # active seller in Paris, under the manager
    ben: User  # suspended seller in Paris
    dan: User  # deleted seller in Paris
    carl: User  # seller in Lyon
    tokens: dict[str, str]  # by role


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    del client  # the app's lifespan has initialised the database
    gerant = await make_gerant()
    paris = await make_store(gerant, "Paris", external_id="PAR")
    lyon = await make_store(gerant, "Lyon")
    manager = await make_user(gerant, Role.MANAGER, paris, external_id="M-PAR")
    await make_user(gerant, Role.MANAGER, lyon)
    ana = await make_user(gerant, Role.SELLER, paris, manager_id=manager.id, external_id="ANA")
    ben = await make_user(gerant, Role.SELLER, paris, UserStatus.SUSPENDED, manager_id=manager.id)
    dan = await make_user(gerant, Role.SELLER, paris, UserStatus.DELETED)
    carl = await make_user(gerant, Role.SELLER, lyon)
    actor = actor_for_user(gerant)
    await record(actor, paris, DAY, (ana, "10.00", 1, 1, 1), (ben, "20.00", 2, 2, 2))
    await record(actor, lyon, DAY, (carl, "30.00", 3, 3, 3))
    elsewhere = await make_store(await make_gerant())
    tokens = {
        role: SIGNER.issue(user).token
        for role, user in (("gerant", gerant), ("manager", manager), ("seller", ana))
    }
    return World(gerant, paris, lyon, elsewhere, manager, ana, ben, dan, carl, tokens)


async def as_role(
    client: httpx.AsyncClient, world: World, role: str, query: str, **variables: Any
) -> dict[str, Any]:
    return await gql(client, query, variables, token=world.tokens[role])


async def with_key(
    client: httpx.AsyncClient, key: str, query: str, **variables: Any
) -> dict[str, Any]:
    return await gql(client, query, variables, headers={"X-API-Key": key})


def errors_by_path(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each error's (code, message) by its path (`store.managers`)."""
    return {
        ".".join(str(step) for step in error["path"]): (
            error["extensions"]["code"],
            error["message"],
        )
        for error in body.get("errors", [])
    }


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


class TestOneQuery:
    async def test_a_store_with_its_staff_and_figures(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        body = await as_role(client, w, "gerant", STORE, id=w.paris.id)
        assert "errors" not in body, body
        store = body["data"]["store"]
        assert (store["id"], store["name"], store["externalId"]) == (w.paris.id, "Paris", "PAR")
        assert ISO_Z.fullmatch(store["createdAt"])
        assert store["managers"]["edges"] == [
            {
                "node": {
                    "id": w.manager.id,
                    "name": w.manager.name,
                    "role": "MANAGER",
                    "status": "ACTIVE",
                    "externalId": "M-PAR",
                }
            }
        ]
        # Deleted sellers are left out unless asked for; suspended ones are listed.
        assert [edge["node"] for edge in store["sellers"]["edges"]] == [
            {
                "id": seller.id,
                "name": seller.name,
                "status": status,
                "manager": {"id": w.manager.id},
                "store": {"id": w.paris.id},
            }
            for seller, status in ((w.ana, "ACTIVE"), (w.ben, "SUSPENDED"))
        ]
        assert store["kpiSummary"] == [
            {"key": "total", "label": "Total", "ca": "30.00", "nbVentes": 3}
        ]

    async def test_a_person_with_his_store_and_manager(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        body = await with_key(client, await make_key(w.gerant), USERS_WITH_STORE)
        assert "errors" not in body, body
        nodes = {edge["node"]["id"]: edge["node"] for edge in body["data"]["users"]["edges"]}
        assert nodes[w.ana.id] == {
            "id": w.ana.id,
            "store": {"id": w.paris.id, "name": "Paris"},
            "manager": {"id": w.manager.id},
        }
        assert nodes[w.carl.id]["manager"] is None
        assert nodes[w.carl.id]["store"] == {"id": w.lyon.id, "name": "Lyon"}

    async def test_timestamps_read_as_on_rest(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = await make_key(world.gerant)
        body = await with_key(client, key, STORE, id=world.paris.id)
        over_rest = await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        [paris] = [s for s in over_rest.json()["stores"] if s["id"] == world.paris.id]
        assert body["data"]["store"]["createdAt"] == paris["created_at"]

    async def test_status_filter_and_pages(self, client: httpx.AsyncClient, world: World) -> None:
        w = world

        async def sellers(**variables: Any) -> dict[str, Any]:
            body = await as_role(client, w, "gerant", SELLERS_BY_STATUS, id=w.paris.id, **variables)
            assert "errors" not in body, body
            found: dict[str, Any] = body["data"]["store"]["sellers"]
            return found

        assert ids(await sellers(status="DELETED", first=10)) == [w.dan.id]
        assert ids(await sellers(status="ACTIVE", first=10)) == [w.ana.id]
        first = await sellers(first=1)
        assert ids(first) == [w.ana.id]
        info = first["pageInfo"]
        assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
        assert info["startCursor"] == info["endCursor"] == first["edges"][0]["cursor"]
        rest = await sellers(first=1, after=info["endCursor"])
        assert ids(rest) == [w.ben.id]
        assert rest["pageInfo"]["hasNextPage"] is False
        bad = await as_role(
            client, w, "gerant", SELLERS_BY_STATUS, id=w.paris.id, first=101, after=None
        )
        assert errors_by_path(bad) == {
            "store.sellers": ("BAD_REQUEST", "first: must be between 1 and 100")
        }

    async def test_nested_summaries_are_the_top_level_ones(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        body = await as_role(client, w, "gerant", STORE_SUMMARY, id=w.paris.id)
        alone = await as_role(
            client,
            w,
            "gerant",
            TOP_SUMMARY,
            f={"from": DAY, "to": DAY, "storeIds": [w.paris.id]},
            g="SELLER",
        )
        nested = body["data"]["store"]["kpiSummary"]
        assert nested == [{"key": row["key"]} for row in alone["data"]["kpiSummary"]]
        assert [row["key"] for row in nested] == sorted([w.ana.id, w.ben.id])
        per_seller = await as_role(client, w, "gerant", SELLER_SUMMARY)
        figures = {
            edge["node"]["id"]: edge["node"]["kpiSummary"]
            for edge in per_seller["data"]["sellers"]["edges"]
        }
        assert figures[w.ana.id] == [{"key": "total", "ca": "10.00"}]
        assert figures[w.carl.id] == [{"key": "total", "ca": "30.00"}]

    async def test_a_wrong_period_is_refused_on_the_field(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        query = """query($id: ID!) { store(id: $id) {
          name kpiSummary(from: "2025-03-09", to: "2025-03-01", groupBy: DAY) { key } } }"""
        body = await as_role(client, world, "gerant", query, id=world.paris.id)
        assert body["data"]["store"] == {"name": "Paris", "kpiSummary": None}
        assert errors_by_path(body) == {
            "store.kpiSummary": ("BAD_REQUEST", messages.KPI_PERIOD_REVERSED)
        }


class TestKeysFieldByField:
    async def test_staff_need_users_read_and_figures_kpi_read(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = await make_key(world.gerant, ["stores:read"])
        body = await with_key(client, key, STORE, id=world.paris.id)
        store = body["data"]["store"]
        assert store["name"] == "Paris"
        assert (store["managers"], store["sellers"], store["kpiSummary"]) == (None, None, None)
        assert errors_by_path(body) == {
            "store.managers": (FORBIDDEN, USERS_READ),
            "store.sellers": (FORBIDDEN, USERS_READ),
            "store.kpiSummary": (FORBIDDEN, KPI_READ),
        }

    async def test_a_persons_store_needs_stores_read(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = await make_key(world.gerant, ["users:read"])
        body = await with_key(client, key, USERS_WITH_STORE)
        paths = errors_by_path(body)
        assert set(paths.values()) == {(FORBIDDEN, STORES_READ)}
        assert len(paths) == 4  # ana, ben, dan (deleted, listed by `users`) and carl
        for edge in body["data"]["users"]["edges"]:
            assert edge["node"]["store"] is None

    async def test_the_store_itself_needs_stores_read(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = await make_key(world.gerant, ["users:read", "kpi:read"])
        body = await with_key(client, key, STORE, id=world.paris.id)
        assert body["data"] == {"store": None}
        assert errors_by_path(body) == {"store": (FORBIDDEN, STORES_READ)}

    async def test_a_restricted_key_reads_its_stores_only(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        key = await make_key(w.gerant, ["stores:read", "users:read", "kpi:read"], [w.paris.id])
        inside = await with_key(client, key, STORE, id=w.paris.id)
        assert "errors" not in inside, inside
        assert inside["data"]["store"]["kpiSummary"][0]["ca"] == "30.00"
        outside = await with_key(client, key, STORE_NAME, id=w.lyon.id)
        assert errors_by_path(outside) == {"store": (FORBIDDEN, messages.STORE_NOT_IN_KEY_SCOPE)}
        staff = await with_key(client, key, USERS_WITH_STORE)
        assert {edge["node"]["id"] for edge in staff["data"]["users"]["edges"]} == {
            w.ana.id,
            w.ben.id,
            w.dan.id,
        }

    async def test_another_tenants_store_and_an_unknown_one_are_not_found(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        key = await make_key(world.gerant)
        for store_id in (world.elsewhere.id, "store_unknown"):
            body = await with_key(client, key, STORE_NAME, id=store_id)
            assert errors_by_path(body) == {"store": ("NOT_FOUND", messages.STORE_NOT_FOUND)}

    async def test_without_a_key_nothing(self, client: httpx.AsyncClient, world: World) -> None:
        body = await gql(client, STORE_NAME, {"id": world.paris.id})
        assert errors_by_path(body) == {"store": ("UNAUTHENTICATED", messages.MISSING_API_KEY)}


class TestSessionsFieldByField:
    async def test_a_manager_sees_his_store_and_its_people(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        body = await as_role(client, w, "manager", STORE, id=w.paris.id)
        assert "errors" not in body, body
        assert ids(body["data"]["store"]["sellers"]) == [w.ana.id, w.ben.id]
        lyon = await as_role(client, w, "manager", STORE_NAME, id=w.lyon.id)
        assert errors_by_path(lyon) == {"store": (FORBIDDEN, messages.STORE_NOT_IN_USER_SCOPE)}
        figures = await as_role(client, w, "manager", SELLER_SUMMARY)
        assert {edge["node"]["id"] for edge in figures["data"]["sellers"]["edges"]} == {
            w.ana.id,
            w.ben.id,
        }

    async def test_a_seller_reads_no_store_nor_staff(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        w = world
        body = await as_role(client, w, "seller", STORE_NAME, id=w.paris.id)
        assert errors_by_path(body) == {"store": (FORBIDDEN, STORES_READ)}
        staff = await as_role(client, w, "seller", USERS_WITH_STORE)
        assert errors_by_path(staff) == {"users": (FORBIDDEN, USERS_READ)}


async def test_the_viewer_carries_the_external_id(client: httpx.AsyncClient, world: World) -> None:
    body = await as_role(client, world, "manager", "{ viewer { role externalId } }")
    assert body["data"]["viewer"] == {"role": "MANAGER", "externalId": "M-PAR"}
