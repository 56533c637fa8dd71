"""GraphQL as a person calls it: a session token from a login, the raw answer, its error."""

from typing import Any

import httpx

PASSWORD = "correct horse battery"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt user { id name email role } }
}"""


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The answer's body, with the session `token` and `headers` sent."""
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def error_of(body: dict[str, Any]) -> tuple[str, str]:
    """The code and message of an answer's one error."""
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def logged_in(client: httpx.AsyncClient, email: str) -> str:
    """The session token of the person of `email`, whose password is PASSWORD."""
    body = await gql(client, LOGIN, {"email": email, "password": PASSWORD})
    token: str = body["data"]["login"]["token"]
    return token
