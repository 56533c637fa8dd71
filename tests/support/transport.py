"""Call an operation over REST or over GraphQL and read both answers the same way."""

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Outcome:
    """What a caller sees: an HTTP-like status, the error message if any, and the data."""

    status: int
    detail: str | None
    data: Any


async def rest(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    key: str | None,
    json: Any = None,
) -> Outcome:
    headers = {"X-API-Key": key} if key else {}
    response = await client.request(method, f"/api/integrations{path}", json=json, headers=headers)
    body = response.json()
    detail = body.get("detail") if response.status_code >= 400 else None
    return Outcome(response.status_code, detail, body)


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    key: str | None,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> Outcome:
    """The operation called with an API key, or with a session `token`."""
    headers = {"X-API-Key": key} if key else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        error = body["errors"][0]
        return Outcome(error["extensions"]["status"], error["message"], body.get("data"))
    data = body["data"]
    return Outcome(200, None, next(iter(data.values())))


def camel(name: str) -> str:
    first, *others = name.split("_")
    return first + "".join(part.title() for part in others)


# Fields that GraphQL types as enums (Role, UserStatus): REST's `manager` is GraphQL's MANAGER.
ENUM_FIELDS = frozenset({"role", "status"})


def graphql_input(value: Any) -> Any:
    """A REST body as GraphQL variables: the same values under camelCase names, enum values
    (roles and statuses) in capitals."""
    if isinstance(value, dict):
        return {
            camel(name): item.upper()
            if name in ENUM_FIELDS and isinstance(item, str)
            else graphql_input(item)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [graphql_input(item) for item in value]
    return value


def rest_values(node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL object's enum values (roles and statuses) as REST writes them."""
    return {
        name: value.lower() if name in ENUM_FIELDS and isinstance(value, str) else value
        for name, value in node.items()
    }
