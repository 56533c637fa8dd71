"""Every authentication path over HTTP against SecantusDB, on REST and on GraphQL."""

from datetime import timedelta

import httpx
import pytest

from contract import messages
from infra.api_key_format import KEY_PREFIX, checksum, generate_key
from models import ApiKey
from models.clock import utcnow
from resolvers.api_keys import revoke_api_key
from tests.support.app import key_synced, services_of
from tests.support.factories import make_gerant, make_key, make_store
from tests.support.transport import graphql, rest

pytestmark = pytest.mark.usefixtures("client")

ME_QUERY = "{ me { key { id name prefix permissions storeIds } gerant { id name } } }"


async def both(client: httpx.AsyncClient, key: str | None) -> list[tuple[int, str | None]]:
    over_rest = await rest(client, "GET", "/me", key)
    over_graphql = await graphql(client, ME_QUERY, key)
    return [(over_rest.status, over_rest.detail), (over_graphql.status, over_graphql.detail)]


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    assert await both(client, None) == [(401, messages.MISSING_API_KEY)] * 2


async def test_malformed_key_is_401_invalid(client: httpx.AsyncClient) -> None:
    key = generate_key()
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert await both(client, tampered) == [(401, messages.INVALID_API_KEY)] * 2
    assert await both(client, "sk_live_short") == [(401, messages.INVALID_API_KEY)] * 2


async def test_unknown_well_formed_key_is_401_invalid(client: httpx.AsyncClient) -> None:
    random_part = "A" * 32
    forged = f"{KEY_PREFIX}{random_part}{checksum(random_part)}"
    assert await both(client, forged) == [(401, messages.INVALID_API_KEY)] * 2


async def test_revoked_key_is_401_inactive(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    stored = await ApiKey.find_one()
    assert stored is not None
    await revoke_api_key(key_id=stored.id, keys=services_of(client).keys)
    assert await both(client, key) == [(401, messages.INACTIVE_API_KEY)] * 2


async def test_expired_key_is_401_expired(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant(), expires_in_days=1)
    await ApiKey.find_one().update({"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    await key_synced(client, key)
    assert await both(client, key) == [(401, messages.EXPIRED_API_KEY)] * 2


async def test_bearer_alias_is_accepted(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant, permissions=["stores:read"])
    response = await client.get("/api/integrations/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    body = response.json()
    assert body["gerant"] == {"id": gerant.id, "name": gerant.name}
    assert body["key"]["permissions"] == ["stores:read"]
    assert body["key"]["prefix"] == key[:14]
    assert set(body["key"]) == {
        "id",
        "name",
        "prefix",
        "permissions",
        "store_ids",
        "expires_at",
        "created_at",
        "last_used_at",
    }


async def test_missing_permission_is_403(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant(), permissions=["kpi:write"])
    outcome = await rest(client, "GET", "/stores", key)
    assert (outcome.status, outcome.detail) == (
        403,
        "Insufficient permissions. Requires 'stores:read'",
    )
    over_graphql = await graphql(client, "{ stores { id } }", key)
    assert (over_graphql.status, over_graphql.detail) == (outcome.status, outcome.detail)


async def test_store_outside_key_scope_is_403(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    allowed, other = await make_store(gerant), await make_store(gerant)
    key = await make_key(gerant, permissions=["stores:write"], store_ids=[allowed.id])
    outcome = await rest(client, "DELETE", f"/stores/{other.id}", key)
    assert (outcome.status, outcome.detail) == (
        403,
        "API key does not have access to this store (not in store_ids list)",
    )


async def test_expiring_key_responses_carry_a_warning(client: httpx.AsyncClient) -> None:
    soon = await make_key(await make_gerant(), expires_in_days=3)
    later = await make_key(await make_gerant(), expires_in_days=30)
    warned = await client.get("/api/integrations/me", headers={"X-API-Key": soon})
    assert warned.headers["warning"].startswith('299 - "API key expires at ')
    refused = await client.get("/api/integrations/stores", headers={"X-API-Key": soon})
    assert refused.status_code == 200
    assert "warning" in refused.headers
    quiet = await client.get("/api/integrations/me", headers={"X-API-Key": later})
    assert "warning" not in quiet.headers


async def test_plaintext_key_is_nowhere_in_the_database() -> None:
    key = await make_key(await make_gerant())
    database = ApiKey.get_motor_collection().database
    for name in await database.list_collection_names():
        async for document in database[name].find():
            assert key not in repr(document)
            assert key[len(KEY_PREFIX) :] not in repr(document)
