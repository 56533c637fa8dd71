"""Stores over HTTP against SecantusDB: shapes, uniqueness indexes, and REST/GraphQL parity."""

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from models import Role, Store, User, UserStatus
from models.clock import utcnow
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import Outcome, graphql, graphql_input, rest

pytestmark = pytest.mark.usefixtures("client")

LYON = {
    "name": "Magasin Lyon Centre",
    "location": "69001 Lyon",
    "address": "456 Rue de la République",
    "phone": "0123456789",
    "opening_hours": "9h-19h du lundi au samedi",
    "external_id": "LYON-001",
}
CREATE_STORE = """mutation($input: CreateStoreInput!) {
  createStore(input: $input) {
    id name location address phone openingHours gerantId active externalId
  }
}"""
DELETE_STORE = """mutation($id: ID!) { deleteStore(storeId: $id) { success message } }"""
STORES = "{ stores { id name active } }"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


async def create_over(
    transport: str, client: httpx.AsyncClient, key: str, body: dict[str, Any]
) -> Outcome:
    if transport == "rest":
        return await rest(client, "POST", "/stores", key, body)
    return await graphql(client, CREATE_STORE, key, {"input": graphql_input(body)})


async def delete_over(
    transport: str, client: httpx.AsyncClient, key: str, store_id: str
) -> Outcome:
    if transport == "rest":
        return await rest(client, "DELETE", f"/stores/{store_id}", key)
    return await graphql(client, DELETE_STORE, key, {"id": store_id})


def created_id(transport: str, outcome: Outcome) -> str:
    store = outcome.data["store"] if transport == "rest" else outcome.data
    return str(store["id"])


class TestListStores:
    async def test_shape_matches_the_spec(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant, name="Magasin Paris Centre", address="123 Rue de Rivoli")
        outcome = await rest(client, "GET", "/stores", await make_key(gerant))
        assert outcome.status == 200
        [listed] = outcome.data["stores"]
        assert ISO_Z.fullmatch(listed.pop("created_at"))
        assert ISO_Z.fullmatch(listed.pop("updated_at"))
        assert listed == {
            "id": store.id,
            "name": "Magasin Paris Centre",
            "location": "75001 Paris",
            "address": "123 Rue de Rivoli",
            "phone": None,
            "opening_hours": None,
            "gerant_id": gerant.id,
            "active": True,
            "external_id": None,
        }

    async def test_restricted_key_and_deactivated_stores(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        allowed = await make_store(gerant, active=False)
        await make_store(gerant)
        key = await make_key(gerant, ["stores:read"], [allowed.id])
        over_rest = await rest(client, "GET", "/stores", key)
        assert [(s["id"], s["active"]) for s in over_rest.data["stores"]] == [(allowed.id, False)]
        over_graphql = await graphql(client, STORES, key)
        assert over_graphql.data == [{"id": allowed.id, "name": allowed.name, "active": False}]


class TestCreateStore:
    async def test_spec_example(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        outcome = await rest(client, "POST", "/stores", await make_key(gerant), LYON)
        assert outcome.status == 200
        assert outcome.data["success"] is True
        store = outcome.data["store"]
        assert ISO_Z.fullmatch(store.pop("created_at"))
        assert ISO_Z.fullmatch(store.pop("updated_at"))
        assert store.pop("id").startswith("store_")
        assert store == {**LYON, "gerant_id": gerant.id, "active": True}

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_name_unique_among_active_stores_case_insensitively(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        first = await create_over(transport, client, key, {"name": "Lyon", "location": "L"})
        assert first.status == 200
        again = await create_over(transport, client, key, {"name": " LYON ", "location": "L"})
        assert (again.status, again.detail) == (400, "A store with this name already exists")
        other_tenant = await create_over(
            transport,
            client,
            await make_key(await make_gerant()),
            {"name": "Lyon", "location": "L"},
        )
        assert other_tenant.status == 200
        assert (
            await delete_over(transport, client, key, created_id(transport, first))
        ).status == 200
        reused = await create_over(transport, client, key, {"name": "lyon", "location": "L"})
        assert reused.status == 200

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_a_line_break_in_a_name_is_400(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        body = {"name": "Evil\r\nBcc: victim@example.com", "location": "L"}
        outcome = await create_over(transport, client, key, body)
        assert (outcome.status, outcome.detail) == (
            400,
            f"name: {messages.CONTROL_CHARACTERS}",
        )

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_external_id_unique_in_tenant(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        body = {"name": "A", "location": "L", "external_id": "LYON-001"}
        assert (await create_over(transport, client, key, body)).status == 200
        again = await create_over(transport, client, key, {**body, "name": "B"})
        assert (again.status, again.detail) == (400, "A store with this external_id already exists")
        without = await create_over(transport, client, key, {"name": "C", "location": "L"})
        also_without = await create_over(transport, client, key, {"name": "D", "location": "L"})
        assert (without.status, also_without.status) == (200, 200)

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    @pytest.mark.parametrize(
        ("body", "status", "detail"),
        [
            ({"name": "", "location": "L"}, 400, "name: String should have at least 1 character"),
            (
                {"name": "A", "location": " "},
                400,
                "location: String should have at least 1 character",
            ),
        ],
    )
    async def test_invalid_body_is_400(
        self,
        client: httpx.AsyncClient,
        transport: str,
        body: dict[str, Any],
        status: int,
        detail: str,
    ) -> None:
        outcome = await create_over(transport, client, await make_key(await make_gerant()), body)
        assert (outcome.status, outcome.detail) == (status, detail)

    async def test_missing_fields_and_bad_json_are_400(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        missing = await rest(client, "POST", "/stores", key, {"location": "L"})
        assert (missing.status, missing.detail) == (400, "name: Field required")
        both = await rest(client, "POST", "/stores", key, {})
        assert (both.status, both.detail) == (400, "name: Field required; location: Field required")
        response = await client.post(
            "/api/integrations/stores",
            content=b'{"name": ',
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "Request body is not valid JSON"},
        )
        over_graphql = await graphql(
            client, 'mutation { createStore(input: {location: "L"}) { id } }', key
        )
        assert over_graphql.status == 400

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_permission_and_scope(self, client: httpx.AsyncClient, transport: str) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        reader = await make_key(gerant, ["stores:read"])
        denied = await create_over(transport, client, reader, {"name": "A", "location": "L"})
        assert (denied.status, denied.detail) == (
            403,
            "Insufficient permissions. Requires 'stores:write'",
        )
        restricted = await make_key(gerant, ["stores:write"], [store.id])
        scoped = await create_over(transport, client, restricted, {"name": "A", "location": "L"})
        assert (scoped.status, scoped.detail) == (
            403,
            "API key does not have access to this store (not in store_ids list)",
        )


class TestDeleteStore:
    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_soft_delete(self, client: httpx.AsyncClient, transport: str) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        outcome = await delete_over(transport, client, key, store.id)
        assert outcome.status == 200
        assert outcome.data == {"success": True, "message": "Magasin supprimé avec succès"}
        listed = await rest(client, "GET", "/stores", key)
        assert [(s["id"], s["active"]) for s in listed.data["stores"]] == [(store.id, False)]
        reloaded = await User.get(seller.id)
        assert reloaded is not None
        assert reloaded.status == UserStatus.SUSPENDED

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_errors(self, client: httpx.AsyncClient, transport: str) -> None:
        gerant = await make_gerant()
        mine, sibling = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(await make_gerant())
        key = await make_key(gerant)
        cases = [
            (key, "store_unknown", 404, "Store not found"),
            (key, theirs.id, 404, "Store not found"),
            (key, "x" * 500, 404, "Store not found"),
            (
                await make_key(gerant, ["stores:read"]),
                mine.id,
                403,
                "Insufficient permissions. Requires 'stores:write'",
            ),
            (
                await make_key(gerant, ["stores:write"], [sibling.id]),
                mine.id,
                403,
                "API key does not have access to this store (not in store_ids list)",
            ),
        ]
        for case_key, store_id, status, detail in cases:
            outcome = await delete_over(transport, client, case_key, store_id)
            assert (outcome.status, outcome.detail) == (status, detail), store_id


STORE_FIELDS = "id name location address phone openingHours gerantId active externalId"
UPDATE_STORE = f"""mutation($id: ID!, $input: UpdateStoreInput!) {{
  updateStore(storeId: $id, input: $input) {{ {STORE_FIELDS} }}
}}"""
STORES_BY_EXTERNAL_ID = "query($x: String) { stores(externalId: $x) { id externalId } }"
REST_NAMES = {"openingHours": "opening_hours", "gerantId": "gerant_id", "externalId": "external_id"}
STORE_KEYS = {"name", "location", "address", "phone", "opening_hours", "external_id", "active"}


async def update_over(
    transport: str, client: httpx.AsyncClient, key: str, store_id: str, body: dict[str, Any]
) -> Outcome:
    """PUT /stores/{id} or updateStore; the store answered under the REST names."""
    if transport == "rest":
        outcome = await rest(client, "PUT", f"/stores/{store_id}", key, body)
        if outcome.status == 200:
            assert outcome.data["success"] is True
            store = dict(outcome.data["store"])
            assert ISO_Z.fullmatch(store.pop("created_at"))
            assert ISO_Z.fullmatch(store.pop("updated_at"))
            return Outcome(200, None, store)
        return outcome
    known = {name: value for name, value in body.items() if name in STORE_KEYS}
    outcome = await graphql(
        client, UPDATE_STORE, key, {"id": store_id, "input": graphql_input(known)}
    )
    if outcome.status != 200:
        return outcome
    return Outcome(200, None, {REST_NAMES.get(k, k): v for k, v in outcome.data.items()})


class TestExternalIdsOfStores:
    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_returned_everywhere_and_found_by(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        created = await create_over(transport, client, key, LYON)
        store = created.data["store"] if transport == "rest" else created.data
        assert store["externalId" if transport == "graphql" else "external_id"] == "LYON-001"
        await make_store(gerant, external_id="PARIS-001")
        await make_store(gerant)
        if transport == "rest":
            found = await rest(client, "GET", "/stores?external_id=LYON-001", key)
            assert [(s["id"], s["external_id"]) for s in found.data["stores"]] == [
                (store["id"], "LYON-001")
            ]
            listed = await rest(client, "GET", "/stores", key)
            assert [s["external_id"] for s in listed.data["stores"]] == [
                "LYON-001",
                "PARIS-001",
                None,
            ]
            none = await rest(client, "GET", "/stores?external_id=NOWHERE", key)
            assert none.data == {"stores": []}
        else:
            found = await graphql(client, STORES_BY_EXTERNAL_ID, key, {"x": "LYON-001"})
            assert found.data == [{"id": store["id"], "externalId": "LYON-001"}]
            listed = await graphql(client, STORES_BY_EXTERNAL_ID, key, {"x": None})
            assert [s["externalId"] for s in listed.data] == ["LYON-001", "PARIS-001", None]

    async def test_a_restricted_key_finds_only_its_stores(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        mine = await make_store(gerant, external_id="MINE")
        await make_store(gerant, external_id="OTHER")
        key = await make_key(gerant, ["stores:read"], [mine.id])
        for external_id, expected in (("MINE", [mine.id]), ("OTHER", [])):
            over_rest = await rest(client, "GET", f"/stores?external_id={external_id}", key)
            over_graphql = await graphql(client, STORES_BY_EXTERNAL_ID, key, {"x": external_id})
            assert [s["id"] for s in over_rest.data["stores"]] == expected
            assert [s["id"] for s in over_graphql.data] == expected

    async def test_an_invalid_external_id_filter_is_400(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        over_rest = await rest(client, "GET", "/stores?external_id=", key)
        over_graphql = await graphql(client, STORES_BY_EXTERNAL_ID, key, {"x": " "})
        for outcome in (over_rest, over_graphql):
            assert (outcome.status, outcome.detail) == (
                400,
                "external_id: String should have at least 1 character",
            )


class TestUpdateStore:
    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_only_the_fields_given_change(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        store = await make_store(
            gerant, name="Paris", address="1 rue A", phone="01", opening_hours="9h-19h"
        )
        body = {
            "name": "Paris Rivoli",
            "address": None,
            "external_id": "PARIS-001",
            "gerant_id": "someone else",
        }
        outcome = await update_over(transport, client, key, store.id, body)
        assert outcome.data == {
            "id": store.id,
            "name": "Paris Rivoli",
            "location": "75001 Paris",
            "address": None,
            "phone": "01",
            "opening_hours": "9h-19h",
            "gerant_id": gerant.id,
            "active": True,
            "external_id": "PARIS-001",
        }
        listed = await rest(client, "GET", "/stores", key)
        [saved] = listed.data["stores"]
        assert saved["name"] == "Paris Rivoli"
        assert saved["external_id"] == "PARIS-001"

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_reopening_leaves_the_staff_suspended(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        assert (await delete_over(transport, client, key, store.id)).status == 200
        reopened = await update_over(transport, client, key, store.id, {"active": True})
        assert reopened.data["active"] is True
        saved = await User.get(seller.id)
        assert saved is not None
        assert saved.status is UserStatus.SUSPENDED
        staff = await rest(
            client,
            "POST",
            f"/stores/{store.id}/sellers",
            key,
            {"name": "New", "email": "new@example.com"},
        )
        assert staff.status == 200

    async def test_closing_by_update_suspends_the_staff_like_delete(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        outcome = await rest(
            client, "PUT", f"/stores/{store.id}", await make_key(gerant), {"active": False}
        )
        assert (outcome.status, outcome.data["store"]["active"]) == (200, False)
        saved = await User.get(seller.id)
        assert saved is not None
        assert saved.status is UserStatus.SUSPENDED

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_uniqueness_as_at_creation(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        await make_store(gerant, name="Lyon", external_id="LYON-001")
        store = await make_store(gerant, name="Paris")
        closed = await make_store(gerant, name="Nice", active=False)
        taken_name = await update_over(transport, client, key, store.id, {"name": " LYON "})
        taken_id = await update_over(transport, client, key, store.id, {"external_id": "LYON-001"})
        assert (taken_name.status, taken_name.detail) == (400, messages.STORE_NAME_TAKEN)
        assert (taken_id.status, taken_id.detail) == (400, messages.STORE_EXTERNAL_ID_TAKEN)
        # A closed store's name may be taken; reopening it then collides.
        renamed = await update_over(transport, client, key, store.id, {"name": "nice"})
        assert renamed.status == 200
        reopened = await update_over(transport, client, key, closed.id, {"active": True})
        assert (reopened.status, reopened.detail) == (400, messages.STORE_NAME_TAKEN)
        kept = await update_over(transport, client, key, store.id, {"name": "Nice"})
        assert kept.status == 200

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    @pytest.mark.parametrize(
        ("body", "detail"),
        [
            ({}, messages.NO_FIELDS_TO_UPDATE),
            ({"gerant_id": "x", "created_at": "2020-01-01"}, messages.NO_FIELDS_TO_UPDATE),
            ({"name": None}, f"name: {messages.FIELD_NOT_NULLABLE}"),
            ({"location": None}, f"location: {messages.FIELD_NOT_NULLABLE}"),
            ({"active": None}, f"active: {messages.FIELD_NOT_NULLABLE}"),
            ({"name": " "}, "name: String should have at least 1 character"),
            ({"external_id": ""}, "external_id: String should have at least 1 character"),
        ],
    )
    async def test_invalid_updates_are_400(
        self, client: httpx.AsyncClient, transport: str, body: dict[str, Any], detail: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        outcome = await update_over(transport, client, await make_key(gerant), store.id, body)
        assert (outcome.status, outcome.detail) == (400, detail)

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_errors(self, client: httpx.AsyncClient, transport: str) -> None:
        gerant = await make_gerant()
        mine, sibling = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(await make_gerant())
        key = await make_key(gerant)
        cases = [
            (key, "store_unknown", 404, messages.STORE_NOT_FOUND),
            (key, theirs.id, 404, messages.STORE_NOT_FOUND),
            (
                await make_key(gerant, ["stores:read"]),
                mine.id,
                403,
                "Insufficient permissions. Requires 'stores:write'",
            ),
            (
                await make_key(gerant, ["stores:write"], [sibling.id]),
                mine.id,
                403,
                messages.STORE_NOT_IN_KEY_SCOPE,
            ),
        ]
        for case_key, store_id, status, detail in cases:
            outcome = await update_over(transport, client, case_key, store_id, {"phone": "01"})
            assert (outcome.status, outcome.detail) == (status, detail), store_id
        restricted = await make_key(gerant, ["stores:write"], [mine.id])
        allowed = await update_over(transport, client, restricted, mine.id, {"phone": "02"})
        assert allowed.status == 200


def millis_z(moment: datetime) -> str:
    """`2024-01-15T10:00:00.123Z`: a moment to the millisecond, as a reader may send it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


STORE_BY_ID = """query($id: ID!) { store(id: $id) {
  id name location address phone openingHours gerantId active externalId createdAt updatedAt
} }"""
STORES_SINCE = "query($since: DateTime) { stores(updatedSince: $since) { id updatedAt } }"


class TestIncrementalAndSingleReads:
    async def test_updated_since_is_inclusive_on_both_transports(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        moment = utcnow() - timedelta(minutes=5)
        shifts = (-1, 0, 1)
        made = [
            await make_store(gerant, updated_at=moment + timedelta(milliseconds=shift))
            for shift in shifts
        ]
        await make_store(await make_gerant(), updated_at=moment)
        for since, expected in (
            (moment, made[1:]),
            (moment + timedelta(milliseconds=1), made[2:]),
            (moment - timedelta(days=1), made),
        ):
            over_rest = await rest(client, "GET", f"/stores?updated_since={millis_z(since)}", key)
            assert [s["id"] for s in over_rest.data["stores"]] == [s.id for s in expected]
            assert "has_more" not in over_rest.data
            over_graphql = await graphql(client, STORES_SINCE, key, {"since": millis_z(since)})
            assert [s["id"] for s in over_graphql.data] == [s.id for s in expected]

    @pytest.mark.parametrize("value", ["yesterday", "1700000000", "2024-01-15T10:00:00 02:00"])
    async def test_an_invalid_updated_since_is_400(
        self, client: httpx.AsyncClient, value: str
    ) -> None:
        key = await make_key(await make_gerant())
        outcome = await rest(client, "GET", f"/stores?updated_since={value}", key)
        assert (outcome.status, outcome.data) == (
            400,
            {"detail": f"updated_since: {messages.TIMESTAMP_INVALID}"},
        )

    async def test_each_write_moves_updated_at_as_read_by_id_and_since(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        an_hour_ago = utcnow() - timedelta(hours=1)
        store = await make_store(gerant, updated_at=an_hour_ago)
        seen = an_hour_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
        for method, body in (("PUT", {"phone": "02"}), ("DELETE", None), ("PUT", {"active": True})):
            await Store.find_one({"_id": store.id}).update({"$set": {"updated_at": an_hour_ago}})
            written = await rest(client, method, f"/stores/{store.id}", key, body)
            assert written.status == 200
            read = await rest(client, "GET", f"/stores/{store.id}", key)
            moved = read.data["store"]["updated_at"]
            assert moved > seen
            if method == "PUT":
                assert written.data["store"] == read.data["store"]
            since = await rest(client, "GET", f"/stores?updated_since={moved}", key)
            assert since.data == {"stores": [read.data["store"]]}

    async def test_get_one_store_as_the_list_shows_it(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        await make_store(gerant, external_id="PARIS-001", phone="01")
        await make_store(gerant, active=False)
        listed = await rest(client, "GET", "/stores", key)
        for store in listed.data["stores"]:
            outcome = await rest(client, "GET", f"/stores/{store['id']}", key)
            assert (outcome.status, outcome.data) == (200, {"store": store})
            node = (await graphql(client, STORE_BY_ID, key, {"id": store["id"]})).data
            assert node.pop("updatedAt").startswith(store["updated_at"].removesuffix("Z"))
            assert node.pop("createdAt").startswith(store["created_at"].removesuffix("Z"))
            assert {REST_NAMES.get(k, k): v for k, v in node.items()} == {
                k: v for k, v in store.items() if not k.endswith("_at")
            }

    async def test_get_one_store_refusals_are_those_of_an_update(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        ours, outside = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(await make_gerant())
        restricted = await make_key(gerant, ["stores:read", "stores:write"], [ours.id])
        full = await make_key(gerant)
        for key, store, expected in (
            (full, theirs, (404, {"detail": messages.STORE_NOT_FOUND})),
            (full, "store_000000000000000000000000", (404, {"detail": messages.STORE_NOT_FOUND})),
            (restricted, outside, (403, {"detail": messages.STORE_NOT_IN_KEY_SCOPE})),
        ):
            path = f"/stores/{store if isinstance(store, str) else store.id}"
            read = await rest(client, "GET", path, key)
            write = await rest(client, "PUT", path, key, {"phone": "02"})
            assert (read.status, read.data) == (write.status, write.data) == expected
        writer = await make_key(gerant, ["stores:write"])
        refused = await rest(client, "GET", f"/stores/{ours.id}", writer)
        assert (refused.status, refused.data) == (
            403,
            {"detail": "Insufficient permissions. Requires 'stores:read'"},
        )

    async def test_a_walk_of_25_stores_by_10(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        made = [await make_store(gerant) for _ in range(25)]
        await make_store(await make_gerant())
        everything = await rest(client, "GET", "/stores", key)
        sizes, more, seen = [], [], []
        query = "limit=10"
        while True:
            page = await rest(client, "GET", f"/stores?{query}", key)
            assert (page.status, list(page.data)) == (200, ["stores", "has_more"])
            sizes.append(len(page.data["stores"]))
            more.append(page.data["has_more"])
            seen += page.data["stores"]
            if not page.data["has_more"]:
                break
            query = f"limit=10&starting_after={page.data['stores'][-1]['id']}"
        assert (sizes, more) == ([10, 10, 5], [True, True, False])
        assert [store["id"] for store in seen] == sorted(store.id for store in made)
        assert seen == everything.data["stores"]

    async def test_without_limit_or_starting_after_the_contracts_shape(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        await make_store(gerant)
        response = await client.get(
            "/api/integrations/stores", headers={"X-API-Key": await make_key(gerant)}
        )
        assert list(response.json()) == ["stores"]
        assert b"has_more" not in response.content

    async def test_starting_after_alone_pages_by_50(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        first, *others = [await make_store(gerant) for _ in range(3)]
        page = await rest(client, "GET", f"/stores?starting_after={first.id}", key)
        assert [s["id"] for s in page.data["stores"]] == [s.id for s in others]
        assert page.data["has_more"] is False

    async def test_starting_after_another_tenants_or_an_unknown_store_is_the_same_400(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        ours, outside = await make_store(gerant), await make_store(gerant)
        theirs = await make_store(await make_gerant())
        full = await make_key(gerant)
        restricted = await make_key(gerant, ["stores:read"], [ours.id])
        for key, after in (
            (full, theirs.id),
            (full, "store_000000000000000000000000"),
            (full, "not-an-id"),
            (restricted, outside.id),
        ):
            outcome = await rest(client, "GET", f"/stores?limit=10&starting_after={after}", key)
            assert (outcome.status, outcome.data) == (
                400,
                {"detail": messages.STARTING_AFTER_UNKNOWN},
            )

    @pytest.mark.parametrize(
        ("query", "detail"),
        [
            ("limit=0", "limit: Input should be greater than or equal to 1"),
            ("limit=101", "limit: Input should be less than or equal to 100"),
            (
                f"starting_after={'x' * 201}",
                "starting_after: String should have at most 200 characters",
            ),
        ],
    )
    async def test_paging_bounds(self, client: httpx.AsyncClient, query: str, detail: str) -> None:
        outcome = await rest(client, "GET", f"/stores?{query}", await make_key(await make_gerant()))
        assert (outcome.status, outcome.data) == (400, {"detail": detail})

    async def test_a_restricted_key_pages_through_its_stores_only(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        made = [await make_store(gerant) for _ in range(4)]
        key = await make_key(gerant, ["stores:read"], [made[0].id, made[2].id, made[3].id])
        first = await rest(client, "GET", "/stores?limit=2", key)
        after = first.data["stores"][-1]["id"]
        second = await rest(client, "GET", f"/stores?limit=2&starting_after={after}", key)
        assert [s["id"] for s in first.data["stores"] + second.data["stores"]] == [
            made[0].id,
            made[2].id,
            made[3].id,
        ]
        assert (first.data["has_more"], second.data["has_more"]) == (True, False)
