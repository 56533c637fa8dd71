"""Sessions over GraphQL: a password change ends the sessions issued before it."""

import httpx

from resolvers.sessions import PasswordChange, set_password
from tests.support.factories import make_gerant

OLD, NEW = "correct horse battery", "another horse battery"
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
