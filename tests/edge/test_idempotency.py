"""Idempotency-Key over HTTP against SecantusDB: replays, key scope, locks, and both transports."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from pymongo.errors import AutoReconnect

from contract import messages
from contract.actor import Actor
from edge.idempotency import is_final, record_id
from infra.event_log import EventLog
from infra.idempotency_store import LOCK_TIMEOUT, fingerprint
from infra.tokens import TokenSigner
from models import ApiKey, IdempotencyRecord, KpiEntry, Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers import stores
from tests.support.factories import make_api_key, make_gerant, make_key, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET

STORE = {"name": "Magasin Lyon Centre", "location": "69001 Lyon"}
CREATE_STORE = "mutation($i: CreateStoreInput!) { createStore(input: $i) { id name } }"
REPLAYED = "idempotent-replayed"


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    api_key: str,
    idempotency_key: str | None,
    body: Any = None,
) -> httpx.Response:
    """A REST call whose body bytes are exactly `json.dumps(body)`, so tests can fingerprint it."""
    headers = {"X-API-Key": api_key}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    content = None
    if body is not None:
        content = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    return await client.request(
        method, f"/api/integrations{path}", content=content, headers=headers
    )


def secret_not_replayed(key_id: str, path: list[str]) -> dict[str, Any]:
    """The error a replay answers in place of a key shown once."""
    return {
        "message": messages.API_KEY_NOT_REPLAYED.format(id=key_id),
        "path": path,
        "extensions": {"code": "SECRET_NOT_REPLAYED", "status": 410},
    }


async def call_graphql(
    client: httpx.AsyncClient, api_key: str, idempotency_key: str, variables: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": CREATE_STORE, "variables": variables},
        headers={"X-API-Key": api_key, "Idempotency-Key": idempotency_key},
    )


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (200, True),
        (400, True),
        (404, True),
        (401, False),
        (403, False),
        (408, False),
        (429, False),
        (500, False),
    ],
)
def test_server_errors_and_retry_later_answers_are_not_kept(status: int, final: bool) -> None:
    assert is_final(status) is final


def replays() -> float:
    return REGISTRY.get_sample_value("rpai_idempotent_replays_total") or 0.0


async def store_count() -> int:
    return await Store.find_all().count()


class TestReplay:
    async def test_post_replays_the_first_response_and_creates_once(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await make_key(await make_gerant())
        before = replays()
        first = await call(client, "POST", "/stores", key, "order-1", STORE)
        again = await call(client, "POST", "/stores", key, "order-1", STORE)
        assert first.status_code == 200
        assert REPLAYED not in first.headers
        assert (again.status_code, again.content) == (200, first.content)
        assert again.headers[REPLAYED] == "true"
        assert again.headers["content-type"] == first.headers["content-type"]
        assert await store_count() == 1
        assert replays() == before + 1

    async def test_put_is_replayed(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        key = await make_key(gerant)
        first = await call(client, "PUT", f"/users/{seller.id}", key, "put-1", {"phone": "01"})
        again = await call(client, "PUT", f"/users/{seller.id}", key, "put-1", {"phone": "01"})
        assert first.status_code == 200
        assert (again.status_code, again.content, again.headers[REPLAYED]) == (
            200,
            first.content,
            "true",
        )

    async def test_second_delete_replays_the_200(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        key = await make_key(gerant)
        first = await call(client, "DELETE", f"/users/{seller.id}", key, "del-1")
        again = await call(client, "DELETE", f"/users/{seller.id}", key, "del-1")
        without = await call(client, "DELETE", f"/users/{seller.id}", key, None)
        assert first.json() == {"success": True, "message": messages.SELLER_DELETED}
        assert (again.status_code, again.json(), again.headers[REPLAYED]) == (
            200,
            first.json(),
            "true",
        )
        assert (without.status_code, without.json()) == (
            400,
            {"detail": messages.USER_ALREADY_DELETED},
        )

    async def test_kpi_sync_replay_is_not_an_update(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        body = {
            "store_id": store.id,
            "date": "2024-01-15",
            "kpi_entries": [
                {"seller_id": seller.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2}
            ],
        }
        first = await call(client, "POST", "/kpi/sync", key, "sync-1", body)
        entry = await KpiEntry.find_one({"seller_id": seller.id})
        again = await call(client, "POST", "/kpi/sync", key, "sync-1", body)
        assert entry == await KpiEntry.find_one({"seller_id": seller.id})
        fresh = await call(client, "POST", "/kpi/sync", key, "sync-2", body)
        assert first.json()["entries_created"] == 1
        assert (again.json(), again.headers[REPLAYED]) == (first.json(), "true")
        assert (fresh.json()["entries_updated"], REPLAYED in fresh.headers) == (1, False)

    async def test_client_errors_are_kept_and_replayed(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        first = await call(client, "POST", "/stores", key, "bad-1", {"location": "Lyon"})
        again = await call(client, "POST", "/stores", key, "bad-1", {"location": "Lyon"})
        assert first.status_code == 400
        assert (again.status_code, again.content, again.headers[REPLAYED]) == (
            400,
            first.content,
            "true",
        )


class TestKeyScope:
    async def test_other_body_with_the_key_is_422(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        await call(client, "POST", "/stores", key, "k", STORE)
        other = await call(client, "POST", "/stores", key, "k", {**STORE, "name": "Autre"})
        assert (other.status_code, other.json()) == (
            422,
            {"detail": messages.IDEMPOTENCY_KEY_REUSED},
        )
        assert await store_count() == 1

    async def test_other_path_with_the_key_is_422(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        first, second = [await make_user(gerant, Role.SELLER, store) for _ in range(2)]
        key = await make_key(gerant)
        await call(client, "DELETE", f"/users/{first.id}", key, "k")
        other = await call(client, "DELETE", f"/users/{second.id}", key, "k")
        assert other.status_code == 422
        untouched = await User.get(second.id)
        assert untouched is not None
        assert untouched.status == UserStatus.ACTIVE

    async def test_unknown_routes_and_methods_keep_their_404_and_405(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await make_key(await make_gerant())
        await call(client, "POST", "/stores", key, "k", STORE)
        # PUT exists on /stores/{store_id} (store updates), not on the collection.
        wrong_method = await call(client, "PUT", "/stores", key, "k")
        assert (wrong_method.status_code, wrong_method.json()) == (
            405,
            {"detail": "Method Not Allowed"},
        )
        unknown = await call(client, "POST", "/nowhere", key, "k")
        assert unknown.status_code == 404
        assert await IdempotencyRecord.count() == 1

    async def test_other_tenant_with_the_same_key_is_independent(
        self, client: httpx.AsyncClient
    ) -> None:
        ours, theirs = await make_key(await make_gerant()), await make_key(await make_gerant())
        first = await call(client, "POST", "/stores", ours, "shared", STORE)
        other = await call(client, "POST", "/stores", theirs, "shared", STORE)
        assert (first.status_code, other.status_code) == (200, 200)
        assert REPLAYED not in other.headers
        assert other.json()["store"]["id"] != first.json()["store"]["id"]

    async def test_another_api_key_of_the_tenant_runs_its_own_request(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        first = await call(client, "POST", "/stores", await make_key(gerant), "k", STORE)
        other = await call(client, "POST", "/stores", await make_key(gerant), "k", STORE)
        assert first.status_code == 200
        assert (other.status_code, REPLAYED in other.headers) == (400, False)
        assert other.json() == {"detail": messages.STORE_NAME_TAKEN}

    async def test_a_weaker_caller_never_receives_a_stronger_ones_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        signer = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
        create_key = {
            "query": 'mutation { createApiKey(input: {name: "ERP", permissions: ["kpi:write"]}) '
            "{ key apiKey { id } } }"
        }

        async def as_(authorization: str) -> httpx.Response:
            return await client.post(
                "/graphql",
                json=create_key,
                headers={"Authorization": authorization, "Idempotency-Key": "next-1"},
            )

        created = await as_(f"Bearer {signer.issue(gerant).token}")
        assert created.json()["data"]["createApiKey"]["key"].startswith("sk_live_")
        reader = await make_key(gerant, ["kpi:read"])
        for intruder in (f"Bearer {signer.issue(seller).token}", f"Bearer {reader}"):
            answer = await as_(intruder)
            assert REPLAYED not in answer.headers
            [error] = answer.json()["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN"
            assert "sk_live_" not in answer.text

    async def test_a_refused_request_keeps_no_record_and_blocks_no_one(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        weak = await make_key(gerant, ["stores:read"])
        pos = await make_key(gerant, ["kpi:write"])
        batch = {
            "store_id": store.id,
            "date": "2024-01-15",
            "kpi_entries": [
                {"seller_id": seller.id, "ca_journalier": 10, "nb_ventes": 1, "nb_articles": 1}
            ],
        }
        refused = await call(client, "POST", "/kpi/sync", weak, "pos-next", batch)
        limited = await call(client, "POST", "/kpi/sync", "sk_live_x", "pos-next", batch)
        assert (refused.status_code, limited.status_code) == (403, 401)
        assert await IdempotencyRecord.count() == 0
        synced = await call(client, "POST", "/kpi/sync", pos, "pos-next", batch)
        assert (synced.status_code, REPLAYED in synced.headers) == (200, False)


class TestInProgress:
    async def test_a_concurrent_request_with_the_key_is_409(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        entered, go_on = asyncio.Event(), asyncio.Event()
        create_store = stores.create_store

        async def slow_create_store(
            *, actor: Actor, data: stores.StoreCreate, events: EventLog
        ) -> Store:
            entered.set()
            await go_on.wait()
            return await create_store(actor=actor, data=data, events=events)

        monkeypatch.setattr(stores, "create_store", slow_create_store)
        key = await make_key(await make_gerant())
        first = asyncio.create_task(call(client, "POST", "/stores", key, "k", STORE))
        await asyncio.wait_for(entered.wait(), timeout=5)
        second = await call(client, "POST", "/stores", key, "k", STORE)
        go_on.set()
        assert (second.status_code, second.json()) == (
            409,
            {"detail": messages.IDEMPOTENCY_KEY_IN_PROGRESS},
        )
        assert (await first).status_code == 200
        third = await call(client, "POST", "/stores", key, "k", STORE)
        assert (third.status_code, third.headers[REPLAYED]) == (200, "true")
        assert await store_count() == 1

    @pytest.mark.parametrize(
        ("age", "status"), [(LOCK_TIMEOUT + timedelta(seconds=1), 200), (timedelta(seconds=5), 409)]
    )
    async def test_an_abandoned_request_is_taken_over_after_the_lock_timeout(
        self, client: httpx.AsyncClient, age: timedelta, status: int
    ) -> None:
        gerant = await make_gerant()
        created = await make_api_key(gerant)
        key = created.key
        now = utcnow()
        await IdempotencyRecord(
            id=record_id(tenant_id=gerant.id, principal_id=f"key:{created.api_key.id}", key="k"),
            fingerprint=fingerprint(
                method="POST",
                path="/api/integrations/stores",
                body=json.dumps(STORE).encode(),
            ),
            lock_id="dead-process",
            locked_at=now - age,
            expires_at=now + timedelta(hours=24),
        ).insert()
        response = await call(client, "POST", "/stores", key, "k", STORE)
        assert response.status_code == status
        assert await store_count() == (1 if status == 200 else 0)

    async def test_an_expired_record_is_ignored(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        created = await make_api_key(gerant)
        key = created.key
        now = utcnow()
        await IdempotencyRecord(
            id=record_id(tenant_id=gerant.id, principal_id=f"key:{created.api_key.id}", key="k"),
            fingerprint="another request",
            lock_id="old",
            locked_at=now - timedelta(hours=25),
            expires_at=now - timedelta(hours=1),
        ).insert()
        response = await call(client, "POST", "/stores", key, "k", STORE)
        assert (response.status_code, REPLAYED in response.headers) == (200, False)


class TestHeader:
    @pytest.mark.parametrize("value", ["", "x" * 256])
    async def test_empty_or_too_long_key_is_400(
        self, client: httpx.AsyncClient, value: str
    ) -> None:
        key = await make_key(await make_gerant())
        response = await call(client, "POST", "/stores", key, value, STORE)
        assert (response.status_code, response.json()) == (
            400,
            {"detail": messages.IDEMPOTENCY_KEY_LENGTH.format(maximum=255)},
        )
        assert await store_count() == 0

    async def test_255_characters_are_accepted(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        response = await call(client, "POST", "/stores", key, "x" * 255, STORE)
        assert response.status_code == 200

    async def test_invalid_credential_passes_through_to_the_401(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await call(client, "POST", "/stores", "sk_live_nope", "k", STORE)
        assert response.status_code == 401
        assert await IdempotencyRecord.find_all().count() == 0

    async def test_reads_and_requests_without_the_header_keep_no_record(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await make_key(await make_gerant())
        assert (await call(client, "GET", "/stores", key, "k")).status_code == 200
        assert (await call(client, "POST", "/stores", key, None, STORE)).status_code == 200
        assert await IdempotencyRecord.find_all().count() == 0


class TestServerErrors:
    async def test_a_500_is_not_kept_and_the_retry_runs_again(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        create_store = stores.create_store
        failures = iter([RuntimeError("boom")])

        async def flaky_create_store(
            *, actor: Actor, data: stores.StoreCreate, events: EventLog
        ) -> Store:
            failure = next(failures, None)
            if failure:
                raise failure
            return await create_store(actor=actor, data=data, events=events)

        monkeypatch.setattr(stores, "create_store", flaky_create_store)
        key = await make_key(await make_gerant())
        first = await call(client, "POST", "/stores", key, "k", STORE)
        again = await call(client, "POST", "/stores", key, "k", STORE)
        assert first.status_code == 500
        assert (again.status_code, REPLAYED in again.headers) == (200, False)
        assert await store_count() == 1


class TestGraphQL:
    async def test_a_mutation_is_replayed(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        first = await call_graphql(client, key, "g", {"i": STORE})
        again = await call_graphql(client, key, "g", {"i": STORE})
        assert first.json()["data"]["createStore"]["name"] == STORE["name"]
        assert (again.content, again.headers[REPLAYED]) == (first.content, "true")
        assert await store_count() == 1

    async def test_a_gerant_session_has_its_own_namespace(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
        payload = {"query": CREATE_STORE, "variables": {"i": STORE}}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "g"}
        first = await client.post("/graphql", json=payload, headers=headers)
        again = await client.post("/graphql", json=payload, headers=headers)
        by_key = await call_graphql(client, await make_key(gerant), "g", {"i": STORE})
        assert first.json()["data"]["createStore"]["name"] == STORE["name"]
        assert (again.content, again.headers[REPLAYED]) == (first.content, "true")
        assert REPLAYED not in by_key.headers
        [error] = by_key.json()["errors"]
        assert error["message"] == messages.STORE_NAME_TAKEN

    async def test_secrets_are_never_kept(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
        payload = {
            "query": 'mutation { made: createApiKey(input: {name: "ERP", permissions: '
            '["kpi:write"]}) { key apiKey { id prefix } } }'
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "new-key"}
        first = await client.post("/graphql", json=payload, headers=headers)
        made = first.json()["data"]["made"]
        assert made["key"].startswith("sk_live_")
        [record] = await IdempotencyRecord.find_all().to_list()
        assert record.response is not None
        assert made["key"].encode() not in record.response.body
        again = await client.post("/graphql", json=payload, headers=headers)
        assert again.headers[REPLAYED] == "true"
        assert (again.json()["data"], again.json()["errors"]) == (
            None,
            [secret_not_replayed(made["apiKey"]["id"], ["made", "key"])],
        )

    async def test_a_key_made_beside_a_failing_field_is_kept_and_replayed(
        self, client: httpx.AsyncClient
    ) -> None:
        """The unknown key's non-null error nulls `data`: the new key is never shown, and the
        answer is kept like any other."""
        gerant = await make_gerant()
        token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
        payload = {
            "query": 'mutation { createApiKey(input: {name: "ERP", permissions: ["kpi:write"]}) '
            '{ key } deactivateApiKey(id: "key_unknown") { id } }'
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "beside"}
        first = await client.post("/graphql", json=payload, headers=headers)
        [made] = await ApiKey.find({"gerant_id": gerant.id}).to_list()
        [record] = await IdempotencyRecord.find_all().to_list()
        again = await client.post("/graphql", json=payload, headers=headers)

        assert first.status_code == 200
        not_found = {
            "message": messages.API_KEY_NOT_FOUND,
            "locations": [{"line": 1, "column": 83}],
            "path": ["deactivateApiKey"],
            "extensions": {"code": "NOT_FOUND", "status": 404},
        }
        assert (first.json()["data"], first.json()["errors"]) == (None, [not_found])
        assert record.response is not None  # completed, not left in progress
        assert record.response.status == 200
        assert (again.status_code, again.headers[REPLAYED]) == (200, "true")
        assert (again.json()["data"], again.json()["errors"]) == (
            None,
            [not_found, secret_not_replayed(made.id, ["createApiKey", "key"])],
        )

    async def test_errors_have_the_graphql_shape(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        await call_graphql(client, key, "g", {"i": STORE})
        other = await call_graphql(client, key, "g", {"i": {**STORE, "name": "Autre"}})
        too_long = await call_graphql(client, key, "x" * 256, {"i": STORE})
        assert (other.status_code, other.json()) == (
            200,
            {
                "data": None,
                "errors": [
                    {
                        "message": messages.IDEMPOTENCY_KEY_REUSED,
                        "extensions": {"code": "UNPROCESSABLE_ENTITY", "status": 422},
                    }
                ],
            },
        )
        assert too_long.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST", "status": 400}

    async def test_a_server_error_inside_a_200_is_not_kept(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        create_store = stores.create_store
        failures = iter([AutoReconnect("down")])

        async def flaky_create_store(
            *, actor: Actor, data: stores.StoreCreate, events: EventLog
        ) -> Store:
            failure = next(failures, None)
            if failure:
                raise failure
            return await create_store(actor=actor, data=data, events=events)

        monkeypatch.setattr(stores, "create_store", flaky_create_store)
        key = await make_key(await make_gerant())
        first = await call_graphql(client, key, "g", {"i": STORE})
        again = await call_graphql(client, key, "g", {"i": STORE})
        assert first.json()["errors"][0]["extensions"]["status"] == 503
        assert (again.json()["data"]["createStore"]["name"], REPLAYED in again.headers) == (
            STORE["name"],
            False,
        )


class TestStorage:
    async def test_records_expire_through_a_ttl_index(self, client: httpx.AsyncClient) -> None:
        del client
        indexes = await IdempotencyRecord.get_motor_collection().list_indexes().to_list(None)
        [ttl] = [index for index in indexes if "expireAfterSeconds" in index]
        assert (dict(ttl["key"]), ttl["expireAfterSeconds"]) == ({"expires_at": 1}, 0)

    async def test_a_record_lives_24_hours_by_default(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        await call(client, "POST", "/stores", await make_key(gerant), "k", STORE)
        [record] = await IdempotencyRecord.find_all().to_list()
        assert record is not None
        assert record.response is not None
        lifetime = record.expires_at - record.locked_at
        assert lifetime == timedelta(hours=24)
