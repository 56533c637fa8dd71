"""GraphQL abuse limits: deep, alias-heavy or long documents and fragment cycles are 400s."""

from typing import Any

import httpx
import pytest

from contract import messages
from schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, parse_document, validate_rules
from tests.support.factories import make_gerant, make_key

pytestmark = pytest.mark.usefixtures("client")

BAD_REQUEST = {"code": "BAD_REQUEST", "status": 400}


async def post(client: httpx.AsyncClient, query: str, key: str | None = None) -> dict[str, Any]:
    """The GraphQL response body; the documents refused here need no key (checked first)."""
    headers = {"X-API-Key": key} if key else {}
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusals(body: dict[str, Any]) -> list[str]:
    """The messages of a refused document, each checked to be a BAD_REQUEST."""
    assert body["data"] is None
    assert all(error["extensions"] == BAD_REQUEST for error in body["errors"]), body
    return [error["message"] for error in body["errors"]]


def nested(depth: int) -> str:
    """A document `depth` fields deep. No type of the schema nests that far, so the depth rule
    is checked on unknown fields, which validation reports besides."""
    return "{ " + "a { " * (depth - 1) + "b" + " }" * depth


def aliased(count: int) -> str:
    return "{ " + " ".join(f"k{n}: me {{ key {{ id }} }}" for n in range(count)) + " }"


class TestDepth:
    async def test_one_level_too_deep_is_refused(self, client: httpx.AsyncClient) -> None:
        messages = refusals(await post(client, nested(MAX_DEPTH + 2)))
        assert f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}" in messages

    async def test_the_maximum_depth_passes_the_depth_rule(self, client: httpx.AsyncClient) -> None:
        messages = refusals(await post(client, nested(MAX_DEPTH + 1)))
        assert not any("maximum operation depth" in message for message in messages), messages


class TestAliases:
    async def test_one_alias_too_many_is_refused(self, client: httpx.AsyncClient) -> None:
        body = await post(client, aliased(MAX_ALIASES + 1))
        assert refusals(body) == [f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"]

    async def test_the_maximum_is_answered(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        body = await post(client, aliased(MAX_ALIASES), key)
        assert "errors" not in body
        assert len(body["data"]) == MAX_ALIASES


class TestTokens:
    async def test_a_document_over_the_token_limit_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        query = "{ me { key { " + " ".join(["id"] * MAX_TOKENS) + " } } }"
        assert refusals(await post(client, query)) == [
            f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
        ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ ...A } fragment A on Query { ...A }", "Cannot spread fragment 'A' within itself."),
        (
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
        (
            "{ stores { ...S } } fragment S on Store { id ...T } fragment T on Store { ...S }",
            "Cannot spread fragment 'S' within itself via 'T'.",
        ),
    ],
    ids=["self", "pair", "nested"],
)
async def test_cyclic_fragments_are_refused_without_crashing(
    client: httpx.AsyncClient, query: str, message: str
) -> None:
    assert message in refusals(await post(client, query))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"hello"', messages.GRAPHQL_BODY_NOT_OBJECT),
        (b"42", messages.GRAPHQL_BODY_NOT_OBJECT),
        (b"[" * 5000 + b"]" * 5000, messages.BODY_TOO_DEEP),
        (b'{"query": ' + b"[" * 5000 + b"]" * 5000 + b"}", messages.BODY_TOO_DEEP),
    ],
    ids=["string", "number", "nested", "nested-query"],
)
async def test_bodies_that_are_not_one_graphql_request(
    client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.text) == (400, message)


async def test_a_document_sent_again_is_neither_parsed_nor_validated_again(
    client: httpx.AsyncClient,
) -> None:
    key = await make_key(await make_gerant())
    query = "{ stores { id name } __typename }"
    await post(client, query, key)
    parsed, validated = parse_document.cache_info(), validate_rules.cache_info()
    for _ in range(3):
        assert "errors" not in await post(client, query, key)
    assert parse_document.cache_info().misses == parsed.misses
    assert parse_document.cache_info().hits == parsed.hits + 3
    assert validate_rules.cache_info().misses == validated.misses
    assert validate_rules.cache_info().hits == validated.hits + 3
