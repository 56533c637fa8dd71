"""The gérant's side over GraphQL: login, JWT checks, and the API-key lifecycle."""

from datetime import timedelta

import httpx
import jwt
import pytest

from contract import messages
from models import ApiKey, User
from models.clock import utcnow
from resolvers.gerants import GerantCreate, create_gerant
from tests.support.app import key_synced, services_of
from tests.support.factories import make_gerant, make_key, make_store
from tests.support.logins import LOGIN, PASSWORD, error_of, gql, logged_in
from tests.support.settings import TEST_JWT_SECRET

pytestmark = pytest.mark.usefixtures("client")

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    key apiKey { id name prefix permissions storeIds expiresAt active createdAt lastUsedAt }
  }
}"""
LIST = "{ apiKeys { id name prefix permissions storeIds active lastUsedAt } }"
DEACTIVATE = "mutation($id: ID!) { deactivateApiKey(id: $id) { id active } }"
ROTATE = """mutation($id: ID!, $grace: Int!) {
  rotateApiKey(id: $id, graceDays: $grace) { key apiKey { id name permissions storeIds } }
}"""


async def gerant_session(client: httpx.AsyncClient, name: str = "Alice") -> tuple[str, str]:
    email = f"{name.lower()}@example.com"
    gerant = await create_gerant(data=GerantCreate(name=name, email=email, password=PASSWORD))
    return gerant.id, await logged_in(client, email)


async def stores_status(client: httpx.AsyncClient, key: str) -> int:
    response = await client.get("/api/integrations/stores", headers={"X-API-Key": key})
    return response.status_code


class TestLogin:
    async def test_returns_a_jwt_and_the_user(self, client: httpx.AsyncClient) -> None:
        gerant = await create_gerant(
            data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
        )
        body = await gql(client, LOGIN, {"email": "ALICE@example.com", "password": PASSWORD})
        result = body["data"]["login"]
        assert result["user"] == {
            "id": gerant.id,
            "name": "Alice",
            "email": "alice@example.com",
            "role": "GERANT",
        }
        claims = jwt.decode(
            result["token"], TEST_JWT_SECRET, algorithms=["HS256"], audience="rpai-app"
        )
        assert claims["sub"] == gerant.id

    async def test_wrong_email_or_password_answer_the_same(self, client: httpx.AsyncClient) -> None:
        await create_gerant(
            data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
        )
        wrong_password = await gql(client, LOGIN, {"email": "alice@example.com", "password": "x"})
        unknown_email = await gql(client, LOGIN, {"email": "bob@example.com", "password": PASSWORD})
        expected = ("UNAUTHENTICATED", "Invalid email or password")
        assert error_of(wrong_password) == error_of(unknown_email) == expected
        no_password = await create_gerant(
            data=GerantCreate(name="Carol", email="carol@example.com")
        )
        assert no_password.password_hash is None
        body = await gql(client, LOGIN, {"email": "carol@example.com", "password": PASSWORD})
        assert error_of(body) == expected

    @pytest.mark.parametrize(
        "token",
        [
            jwt.encode(
                {"sub": "x", "aud": "rpai-app", "iat": 1, "exp": 2}, TEST_JWT_SECRET, "HS256"
            ),
            jwt.encode(
                {"sub": "x", "aud": "rpai-app", "iat": 1, "exp": 4102444800},
                "another-secret-that-is-long-enough-for-hs256",
                "HS256",
            ),
            "not.a.jwt",
        ],
        ids=["expired", "other-secret", "garbage"],
    )
    async def test_bad_tokens_are_unauthenticated(
        self, client: httpx.AsyncClient, token: str
    ) -> None:
        body = await gql(client, LIST, token=token)
        assert error_of(body) == ("UNAUTHENTICATED", "Invalid or expired session token")

    async def test_expired_token_of_a_real_user(self, client: httpx.AsyncClient) -> None:
        gerant_id, _ = await gerant_session(client)
        past = utcnow() - timedelta(hours=1)
        token = jwt.encode(
            {"sub": gerant_id, "aud": "rpai-app", "iat": 1, "exp": int(past.timestamp())},
            TEST_JWT_SECRET,
            "HS256",
        )
        assert error_of(await gql(client, LIST, token=token))[0] == "UNAUTHENTICATED"

    async def test_jwt_is_never_accepted_on_the_integrations_api(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        response = await client.get(
            "/api/integrations/stores", headers={"Authorization": f"Bearer {token}"}
        )
        assert (response.status_code, response.json()) == (401, {"detail": "Invalid API key"})


class TestKeyLifecycle:
    async def test_create_restricted_key_shown_once_then_usable(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant_id, token = await gerant_session(client)
        gerant = await User.get(gerant_id)
        assert gerant is not None
        store = await make_store(gerant)
        body = await gql(
            client,
            CREATE,
            {
                "input": {
                    "name": "Caisse Paris",
                    "permissions": ["stores:read", "kpi:write"],
                    "storeIds": [store.id],
                    "expiresInDays": 90,
                }
            },
            token=token,
        )
        created = body["data"]["createApiKey"]
        key = created["key"]
        assert key.startswith("sk_live_")
        assert created["apiKey"]["prefix"] == key[:14]
        assert created["apiKey"]["storeIds"] == [store.id]
        assert created["apiKey"]["active"] is True
        listed = (await gql(client, LIST, token=token))["data"]["apiKeys"]
        assert [k["id"] for k in listed] == [created["apiKey"]["id"]]
        assert key not in str(listed)
        stores = await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        assert [s["id"] for s in stores.json()["stores"]] == [store.id]

    async def test_invalid_settings_are_bad_request(self, client: httpx.AsyncClient) -> None:
        _, token = await gerant_session(client)
        other_store = await make_store(await make_gerant())
        unknown = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["admin"]}}, token=token
        )
        assert error_of(unknown) == ("BAD_REQUEST", "permissions: Unknown permissions: admin")
        foreign = await gql(
            client,
            CREATE,
            {"input": {"name": "k", "permissions": ["kpi:write"], "storeIds": [other_store.id]}},
            token=token,
        )
        assert error_of(foreign) == (
            "BAD_REQUEST",
            f"store_ids not found in this tenant: {other_store.id}",
        )
        assert await ApiKey.count() == 0

    async def test_api_keys_cannot_manage_keys(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        expected = (
            "FORBIDDEN",
            "This operation requires a gérant session (log in with a password)",
        )
        for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
            assert error_of(await gql(client, LIST, headers=headers)) == expected
            create = await gql(
                client,
                CREATE,
                {"input": {"name": "k", "permissions": ["kpi:write"]}},
                headers=headers,
            )
            assert error_of(create) == expected

    async def test_tenants_cannot_see_or_touch_each_other_keys(
        self, client: httpx.AsyncClient
    ) -> None:
        _, alice = await gerant_session(client, "Alice")
        _, bob = await gerant_session(client, "Bob")
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["kpi:write"]}}, token=alice
        )
        key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        assert (await gql(client, LIST, token=bob))["data"]["apiKeys"] == []
        for query, variables in (
            (DEACTIVATE, {"id": key_id}),
            (ROTATE, {"id": key_id, "grace": 0}),
        ):
            body = await gql(client, query, variables, token=bob)
            assert error_of(body) == ("NOT_FOUND", "API key not found")
        stored = await ApiKey.get(key_id)
        assert stored is not None
        assert stored.active is True

    async def test_deactivated_key_is_refused(self, client: httpx.AsyncClient) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        key = created["data"]["createApiKey"]["key"]
        assert await stores_status(client, key) == 200
        key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        body = await gql(client, DEACTIVATE, {"id": key_id}, token=token)
        assert body["data"]["deactivateApiKey"] == {"id": key_id, "active": False}
        response = await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        assert (response.status_code, response.json()) == (401, {"detail": "API key is inactive"})

    async def test_rotation_keeps_the_old_key_for_the_grace_period(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "ERP", "permissions": ["stores:read"]}}, token=token
        )
        old_key = created["data"]["createApiKey"]["key"]
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        rotated = (await gql(client, ROTATE, {"id": old_id, "grace": 7}, token=token))["data"]
        new = rotated["rotateApiKey"]
        assert new["apiKey"]["name"] == "ERP"
        assert new["apiKey"]["permissions"] == ["stores:read"]
        assert new["key"] != old_key
        assert await stores_status(client, old_key) == 200
        assert await stores_status(client, new["key"]) == 200
        old = await ApiKey.get(old_id)
        assert old is not None
        assert old.expires_at is not None
        assert timedelta(days=6.99) < old.expires_at - utcnow() <= timedelta(days=7)
        await ApiKey.find_one({"_id": old_id}).update({"$set": {"expires_at": utcnow()}})
        await key_synced(client, old_key)
        response = await client.get("/api/integrations/stores", headers={"X-API-Key": old_key})
        assert (response.status_code, response.json()) == (401, {"detail": "API key has expired"})
        assert await stores_status(client, new["key"]) == 200

    async def test_rotation_with_no_grace_ends_the_old_key_now(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        old_key = created["data"]["createApiKey"]["key"]
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        await gql(client, ROTATE, {"id": old_id, "grace": 0}, token=token)
        assert await stores_status(client, old_key) == 401

    async def test_rotation_in_hours_ends_the_old_key_in_that_many_hours(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        old_key = created["data"]["createApiKey"]["key"]
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        hourly = "mutation($id: ID!) { rotateApiKey(id: $id, graceHours: 1) { key } }"
        assert "errors" not in await gql(client, hourly, {"id": old_id}, token=token)
        old = await ApiKey.get(old_id)
        assert old is not None
        assert old.expires_at is not None
        assert timedelta(minutes=59) < old.expires_at - utcnow() <= timedelta(hours=1)
        assert await stores_status(client, old_key) == 200

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ("graceHours: 2161", messages.GRACE_HOURS_RANGE.format(maximum=2160)),
            ("graceHours: -1", messages.GRACE_HOURS_RANGE.format(maximum=2160)),
            ("graceDays: 1, graceHours: 1", messages.GRACE_DAYS_OR_HOURS),
        ],
    )
    async def test_a_grace_out_of_range_or_given_twice_is_400(
        self, client: httpx.AsyncClient, arguments: str, message: str
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        rotate = f"mutation($id: ID!) {{ rotateApiKey(id: $id, {arguments}) {{ key }} }}"
        refused = await gql(client, rotate, {"id": old_id}, token=token)
        assert error_of(refused) == ("BAD_REQUEST", message)
        assert await ApiKey.find({"replaced_by": {"$ne": None}}).count() == 0

    async def test_rotation_without_a_grace_keeps_the_old_key_7_days(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        plain = "mutation($id: ID!) { rotateApiKey(id: $id) { key } }"
        assert "errors" not in await gql(client, plain, {"id": old_id}, token=token)
        old = await ApiKey.get(old_id)
        assert old is not None
        assert old.expires_at is not None
        assert timedelta(days=6.99) < old.expires_at - utcnow() <= timedelta(days=7)

    async def test_a_rotated_key_names_its_replacement_and_cannot_be_rotated_again(
        self, client: httpx.AsyncClient
    ) -> None:
        _, token = await gerant_session(client)
        created = await gql(
            client, CREATE, {"input": {"name": "k", "permissions": ["stores:read"]}}, token=token
        )
        old_id = created["data"]["createApiKey"]["apiKey"]["id"]
        rotated = await gql(client, ROTATE, {"id": old_id, "grace": 7}, token=token)
        new_id = rotated["data"]["rotateApiKey"]["apiKey"]["id"]
        listed = await gql(client, "{ apiKeys { id replacedBy replacedAt } }", token=token)
        by_id = {key["id"]: key for key in listed["data"]["apiKeys"]}
        assert by_id[old_id]["replacedBy"] == new_id
        assert by_id[old_id]["replacedAt"] is not None
        assert (by_id[new_id]["replacedBy"], by_id[new_id]["replacedAt"]) == (None, None)

        again = await gql(client, ROTATE, {"id": old_id, "grace": 7}, token=token)
        assert error_of(again) == ("BAD_REQUEST", messages.API_KEY_ALREADY_ROTATED)
        assert await ApiKey.find({"gerant_id": {"$exists": True}}).count() == 2
        assert "errors" not in await gql(client, ROTATE, {"id": new_id, "grace": 7}, token=token)

    async def test_a_control_character_in_the_name_is_400(self, client: httpx.AsyncClient) -> None:
        _, token = await gerant_session(client)
        spec = {"name": "Caisse\x1b[2J", "permissions": ["stores:read"]}
        body = await gql(client, CREATE, {"input": spec}, token=token)
        assert error_of(body) == ("BAD_REQUEST", f"name: {messages.CONTROL_CHARACTERS}")
        assert await ApiKey.find_all().count() == 0


class TestLastUsed:
    async def test_stamped_off_the_request_path_at_most_once_a_minute(
        self, client: httpx.AsyncClient
    ) -> None:
        key_usage = services_of(client).key_usage
        key = await make_key(await make_gerant())
        await key_usage.flush()
        assert await stores_status(client, key) == 200
        stored = await ApiKey.find_one()
        assert stored is not None
        assert stored.last_used_at is None
        assert await key_usage.flush() == 1
        stamped = await ApiKey.find_one()
        assert stamped is not None
        assert stamped.last_used_at is not None
        assert await stores_status(client, key) == 200
        assert await key_usage.flush() == 0


async def test_oversized_credentials_are_refused_like_wrong_ones(client: httpx.AsyncClient) -> None:
    await create_gerant(
        data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
    )
    for email, password in (
        ("a" * 300 + "@example.com", PASSWORD),
        ("alice@example.com", "x" * 257),
    ):
        body = await gql(client, LOGIN, {"email": email, "password": password})
        assert error_of(body) == ("UNAUTHENTICATED", "Invalid email or password")


async def test_me_describes_keys_not_sessions(client: httpx.AsyncClient) -> None:
    _, token = await gerant_session(client)
    body = await gql(client, "{ me { key { id } } }", token=token)
    assert error_of(body) == ("FORBIDDEN", "This operation describes an API key: call it with one")
