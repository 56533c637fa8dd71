"""Automatic persisted queries as Apollo clients use them: the hash alone once registered, the
text again when the server does not know it; the same checks as the text sent in full."""

import hashlib
import json
from typing import Any

import httpx
import pytest

from contract import messages
from schema import MAX_DEPTH
from tests.support.factories import make_gerant, make_key, make_store

pytestmark = pytest.mark.usefixtures("client")

STORES = "{ stores { name } }"
NOT_FOUND = ("PERSISTED_QUERY_NOT_FOUND", messages.PERSISTED_QUERY_NOT_FOUND)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


async def post(
    client: httpx.AsyncClient,
    key: str | None,
    body: dict[str, Any],
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    headers = {"X-API-Key": key} if key else {}
    response = await client.post("/graphql", json=body, headers={**headers, **(extra or {})})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def error_of(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def test_the_hash_alone_runs_the_document_once_registered(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    await make_store(gerant, "Paris")
    key = await make_key(gerant)
    unknown = await post(client, key, {"extensions": persisted(STORES)})
    assert error_of(unknown) == NOT_FOUND
    assert unknown["errors"][0]["extensions"]["status"] == 400
    registered = await post(client, key, {"query": STORES, "extensions": persisted(STORES)})
    assert registered["data"] == {"stores": [{"name": "Paris"}]}
    by_hash = await post(client, key, {"extensions": persisted(STORES)})
    assert by_hash["data"] == registered["data"]
    over_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted(STORES))},
        headers={"X-API-Key": key, "Accept": "application/json"},
    )
    assert over_get.json()["data"] == registered["data"]


async def test_a_wrong_hash_or_extension_is_a_400(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    mismatch = await post(
        client, key, {"query": STORES, "extensions": persisted("{ me { key { id } } }")}
    )
    assert error_of(mismatch) == ("BAD_REQUEST", messages.PERSISTED_QUERY_HASH_MISMATCH)
    for extension in (
        {"version": 2, "sha256Hash": sha256(STORES)},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1, "sha256Hash": sha256(STORES).upper()},
        "v1",
    ):
        body = await post(
            client, key, {"query": STORES, "extensions": {"persistedQuery": extension}}
        )
        assert error_of(body) == ("BAD_REQUEST", messages.PERSISTED_QUERY_INVALID), extension


async def test_permissions_depth_and_authentication_apply_as_to_the_text(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    full, without = await make_key(gerant), await make_key(gerant, ["kpi:write"])
    await post(client, full, {"query": STORES, "extensions": persisted(STORES)})
    refused = await post(client, without, {"extensions": persisted(STORES)})
    assert error_of(refused) == ("FORBIDDEN", "Insufficient permissions. Requires 'stores:read'")
    anonymous = await post(client, None, {"extensions": persisted(STORES)})
    assert error_of(anonymous) == ("UNAUTHENTICATED", messages.MISSING_API_KEY)

    deep = "{ me { " * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1)
    as_text = await post(client, full, {"query": deep})
    as_persisted = await post(client, full, {"query": deep, "extensions": persisted(deep)})
    assert error_of(as_persisted) == error_of(as_text)
    assert error_of(as_text)[0] == "BAD_REQUEST"


async def test_only_authenticated_callers_register(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    anonymous = await post(client, None, {"query": STORES, "extensions": persisted(STORES)})
    assert error_of(anonymous) == ("UNAUTHENTICATED", messages.MISSING_API_KEY)
    assert error_of(await post(client, key, {"extensions": persisted(STORES)})) == NOT_FOUND


async def test_a_miss_keeps_no_idempotent_answer(client: httpx.AsyncClient) -> None:
    """Apollo's retry with the text carries the same Idempotency-Key: it must run."""
    key = await make_key(await make_gerant())
    create = 'mutation { createStore(input: {name: "Lyon", location: "69001 Lyon"}) { name } }'
    same_key = {"Idempotency-Key": "order-1"}
    miss = await post(client, key, {"extensions": persisted(create)}, same_key)
    assert error_of(miss) == NOT_FOUND
    ran = await post(client, key, {"query": create, "extensions": persisted(create)}, same_key)
    assert ran["data"] == {"createStore": {"name": "Lyon"}}


GET_HEADERS = {"cache-control": "private, no-store", "vary": "Accept"}


def caching(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in GET_HEADERS}


class TestOverGet:
    @pytest.mark.parametrize(
        "accept",
        [None, "*/*", "application/json", "application/json, text/html", "*/*;q=0.8"],
    )
    async def test_a_persisted_query_runs_whatever_the_accept_header(
        self, client: httpx.AsyncClient, accept: str | None
    ) -> None:
        gerant = await make_gerant()
        await make_store(gerant, "Paris")
        key = await make_key(gerant)
        await post(client, key, {"query": STORES, "extensions": persisted(STORES)})
        headers = {"X-API-Key": key, **({"Accept": accept} if accept else {})}
        response = await client.get(
            "/graphql", params={"extensions": json.dumps(persisted(STORES))}, headers=headers
        )
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "application/json",
        )
        assert response.json()["data"] == {"stores": [{"name": "Paris"}]}
        assert caching(response) == GET_HEADERS

    @pytest.mark.parametrize(
        "accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8", " TEXT/HTML"]
    )
    async def test_a_browser_navigation_gets_graphiql(
        self, client: httpx.AsyncClient, accept: str
    ) -> None:
        response = await client.get("/graphql", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert caching(response) == GET_HEADERS

    async def test_a_mutation_sent_by_get_is_a_graphql_error(
        self, client: httpx.AsyncClient
    ) -> None:
        key = await make_key(await make_gerant())
        mutation = 'mutation { createStore(input: {name: "X", location: "Y"}) { id } }'
        response = await client.get(
            "/graphql",
            params={"query": mutation},
            headers={"X-API-Key": key, "Accept": "application/json"},
        )
        assert (response.status_code, response.headers["content-type"]) == (
            200,
            "application/json",
        )
        [error] = response.json()["errors"]
        assert (error["message"], error["extensions"]) == (
            messages.MUTATION_OVER_GET,
            {"code": "BAD_REQUEST", "status": 400},
        )
        assert caching(response) == GET_HEADERS
        stores = await post(client, key, {"query": STORES})
        assert stores["data"] == {"stores": []}

    async def test_a_get_without_a_query_is_a_graphql_error(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/graphql", headers={"Accept": "*/*"})
        [error] = response.json()["errors"]
        assert (response.status_code, error["message"], error["extensions"]) == (
            200,
            messages.GRAPHQL_QUERY_MISSING,
            {"code": "BAD_REQUEST", "status": 400},
        )

    async def test_post_answers_keep_their_cache_headers_unset(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/graphql",
            json={"query": STORES},
            headers={"X-API-Key": await make_key(await make_gerant())},
        )
        assert "vary" not in response.headers
        assert "cache-control" not in response.headers
