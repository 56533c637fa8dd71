"""Sessions over GraphQL: a password change ends the sessions issued before it, a rehash at
login does not; failed logins are refused at once past their bounds, and never hold back the
owner's login elsewhere."""

import asyncio
from collections import Counter

import httpx
import pytest
from argon2 import PasswordHasher

from infra import passwords
from models import User
from resolvers.sessions import PasswordChange, set_password
from rpai.settings import Settings
from tests.support.app import app_of
from tests.support.factories import make_gerant
from tests.support.servers import in_process_client

OLD, NEW = "correct horse battery", "another horse battery"
ATTACKER, HOME = "198.51.100.7", "203.0.113.9"


LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


async def login(client: httpx.AsyncClient, email: str, password: str) -> str:
    answer = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": password}}
    )
    token: str = answer.json()["data"]["login"]["token"]
    return token


async def stores_code(client: httpx.AsyncClient, token: str) -> str:
    answer = await client.post(
        "/graphql",
        json={"query": "{ stores { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    errors = answer.json().get("errors")
    return str(errors[0]["extensions"]["code"]) if errors else "OK"


async def test_a_password_change_ends_earlier_sessions(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant(password=OLD)
    before = await login(client, gerant.email, OLD)
    assert await stores_code(client, before) == "OK"
    await set_password(data=PasswordChange(email=gerant.email, password=NEW))
    assert await stores_code(client, before) == "UNAUTHENTICATED"
    after = await login(client, gerant.email, NEW)
    assert await stores_code(client, after) == "OK"


async def test_a_rehash_at_login_keeps_earlier_sessions(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gerant = await make_gerant(password=OLD)
    with monkeypatch.context() as earlier_release:
        # argon2-cffi's default profile, and no stored stamp: the user as 1.0 kept him
        earlier_release.setattr(passwords, "_hasher", PasswordHasher())
        await User.find_one({"_id": gerant.id}).update(
            {
                "$set": {"password_hash": PasswordHasher().hash(OLD)},
                "$unset": {"password_stamp": ""},
            }
        )
        before = await login(client, gerant.email, OLD)
    after = await login(client, gerant.email, OLD)
    upgraded = await User.get(gerant.id)
    assert upgraded is not None
    assert upgraded.password_hash is not None
    assert upgraded.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await stores_code(client, before) == "OK"
    assert await stores_code(client, after) == "OK"


def from_address(http: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """A client on the same app whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app_of(http), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def login_answer(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"e": email, "p": password}}
    )


def code_of(answer: httpx.Response) -> str:
    errors = answer.json().get("errors")
    return str(errors[0]["extensions"]["code"]) if errors else "OK"


@pytest.mark.usefixtures("cheap_hashes")
async def test_a_flood_from_one_address_never_holds_back_the_owner_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant(password=OLD)
    async with from_address(client, ATTACKER) as attacker, from_address(client, HOME) as owner:
        flood = await asyncio.gather(
            *(login_answer(attacker, gerant.email, f"guess {n}") for n in range(12))
        )
        assert Counter(map(code_of, flood)) == {"UNAUTHENTICATED": 10, "TOO_MANY_REQUESTS": 2}
        for n in range(3):
            assert code_of(await login_answer(attacker, gerant.email, f"guess {n}")) == (
                "TOO_MANY_REQUESTS"
            )
            answer = await login_answer(owner, gerant.email, OLD)
            assert answer.status_code == 200
            assert answer.json()["data"]["login"]["token"]
            assert "errors" not in answer.json()


@pytest.mark.usefixtures("cheap_hashes")
async def test_past_the_pair_bound_a_login_is_refused_at_once_with_retry_after(
    settings: Settings,
) -> None:
    limited = settings.model_copy(update={"login_failures_per_email_and_address": 3})
    async with in_process_client(limited) as http, from_address(http, ATTACKER) as attacker:
        gerant = await make_gerant(password=OLD)
        for n in range(3):
            assert code_of(await login_answer(attacker, gerant.email, f"guess {n}")) == (
                "UNAUTHENTICATED"
            )
        refused = await login_answer(attacker, gerant.email, OLD)
        assert refused.status_code == 200
        [error] = refused.json()["errors"]
        assert error["message"] == "Too many failed logins from this address. Retry later"
        assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
        assert error["extensions"]["status"] == 429
        assert 1 <= error["extensions"]["retryAfter"] <= 900
        assert refused.headers["retry-after"] == str(error["extensions"]["retryAfter"])
        assert refused.json()["data"] is None
        other = await login_answer(attacker, "nobody@example.com", OLD)
        assert code_of(other) == "UNAUTHENTICATED"
        assert "retry-after" not in other.headers
        async with from_address(http, HOME) as owner:
            assert code_of(await login_answer(owner, gerant.email, OLD)) == "OK"


@pytest.mark.usefixtures("cheap_hashes")
async def test_400_wrong_logins_from_one_address_end_in_429(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant(password=OLD)
    codes: Counter[str] = Counter()
    async with from_address(client, ATTACKER) as attacker:
        for n in range(400):
            email = gerant.email if n % 2 else f"guess{n}@example.com"
            codes[code_of(await login_answer(attacker, email, f"guess {n}"))] += 1
    assert codes == {"UNAUTHENTICATED": 50, "TOO_MANY_REQUESTS": 350}
