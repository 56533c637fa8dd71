"""The error mapping of both transports: expected errors, unexpected ones, and the database down."""

import logging

import httpx
import pytest
from pymongo.errors import ServerSelectionTimeoutError

from edge.log_records import install_request_ids
from resolvers import stores
from tests.support.factories import make_gerant, make_key
from tests.support.transport import graphql, rest

pytestmark = pytest.mark.usefixtures("client")


async def fail(**_: object) -> None:
    raise RuntimeError("connection string mongodb://admin:hunter2@db")


async def database_down(**_: object) -> None:
    raise ServerSelectionTimeoutError("db:27017: timed out")


async def test_unexpected_error_is_500_without_internals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key = await make_key(await make_gerant())
    monkeypatch.setattr(stores, "list_stores", fail)
    over_rest = await client.get(
        "/api/integrations/stores", headers={"X-API-Key": key, "X-Request-ID": "support-123"}
    )
    assert (over_rest.status_code, over_rest.json()) == (
        500,
        {"detail": "Internal server error", "request_id": "support-123"},
    )
    response = await client.post(
        "/graphql", json={"query": "{ stores { id } }"}, headers={"X-API-Key": key}
    )
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "status": 500,
        "requestId": response.headers["x-request-id"],
    }
    assert "hunter2" not in response.text
    assert "RuntimeError" in caplog.text


async def test_a_500s_request_id_is_on_its_log_lines(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    install_request_ids()
    key = await make_key(await make_gerant())
    monkeypatch.setattr(stores, "list_stores", fail)
    with caplog.at_level(logging.INFO):
        failed = await client.get(
            "/api/integrations/stores", headers={"X-API-Key": key, "X-Request-ID": "support-42"}
        )
    assert failed.json()["request_id"] == "support-42"
    traceback_lines = [record for record in caplog.records if record.exc_info]
    assert traceback_lines
    assert {getattr(record, "request_id", None) for record in traceback_lines} == {"support-42"}
    [access] = [record for record in caplog.records if record.name == "rpai.access"]
    assert (access.getMessage().split()[:3], getattr(access, "request_id", None)) == (
        ["GET", "/api/integrations/stores", "500"],
        "support-42",
    )


async def test_database_failure_is_503_with_retry_after(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(await make_gerant())
    monkeypatch.setattr(stores, "list_stores", database_down)
    response = await client.get("/api/integrations/stores", headers={"X-API-Key": key})
    assert (response.status_code, response.json()) == (
        503,
        {"detail": "Service temporarily unavailable"},
    )
    assert response.headers["retry-after"] == "5"
    over_graphql = await graphql(client, "{ stores { id } }", key)
    assert (over_graphql.status, over_graphql.detail) == (503, "Service temporarily unavailable")


async def test_unknown_route_and_method(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/api/integrations/nope")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Not Found"})
    wrong = await client.put("/api/integrations/stores")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/integrations/stores", "GET, POST"),
        # GET reads one store or user since 1.1 (405 before).
        ("PATCH", "/api/integrations/stores/store_1", "DELETE, GET, PUT"),
        ("GET", "/api/integrations/stores/store_1/managers", "POST"),
        ("POST", "/api/integrations/users/user_1", "DELETE, GET, PUT"),
        ("DELETE", "/api/integrations/kpi", "GET"),
        ("PUT", "/graphql", "GET, POST"),
        ("POST", "/openapi.json", "GET, HEAD"),
    ],
)
async def test_a_405_allows_every_method_of_the_path(
    client: httpx.AsyncClient, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path)
    assert (response.status_code, response.json(), response.headers["allow"]) == (
        405,
        {"detail": "Method Not Allowed"},
        allowed,
    )


async def test_graphql_syntax_and_schema_errors_are_bad_request(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    syntax = await graphql(client, "{ stores { id ", key)
    assert syntax.status == 400
    unknown_field = await graphql(client, "{ stores { password } }", key)
    assert unknown_field.status == 400
    assert unknown_field.detail == "Cannot query field 'password' on type 'Store'."


async def test_no_validation_error_is_ever_422(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    outcome = await rest(client, "POST", "/stores", key, ["not", "an", "object"])
    assert outcome.status == 400
    assert outcome.detail == "Input should be a valid dictionary or object to extract fields from"


async def test_graphql_variable_errors_are_bad_request(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    outcome = await graphql(
        client,
        "mutation($id: ID!) { deleteStore(storeId: $id) { success } }",
        key,
        {"id": {"$ne": 1}},
    )
    assert outcome.status == 400
    assert outcome.detail is not None
    assert outcome.detail.startswith("Variable '$id' has invalid value")


async def test_unpaired_surrogates_are_bad_request(client: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    response = await client.post(
        "/graphql",
        content=b'{"query": "mutation($id: ID!) { deleteStore(storeId: $id) { success } }", '
        b'"variables": {"id": "\\ud800"}}',
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    [error] = response.json()["errors"]
    assert error["message"] == "Text must be valid Unicode (no unpaired surrogates)"
    assert error["extensions"] == {"code": "BAD_REQUEST", "status": 400}


async def test_every_answer_says_nosniff(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = await make_key(await make_gerant())
    answers = [
        await client.get("/api/integrations/stores", headers={"X-API-Key": key}),
        await client.get("/api/integrations/stores"),  # refused by the edge
        await client.post("/api/integrations/stores", headers={"X-API-Key": key}, json={}),
        await client.get("/api/integrations/nope"),
        await client.put("/api/integrations/stores"),
        await client.post("/graphql", json={"query": "{ stores { id } }"}),
        await client.get("/openapi.json"),
        await client.get("/healthz"),
    ]
    monkeypatch.setattr(stores, "list_stores", fail)
    answers.append(await client.get("/api/integrations/stores", headers={"X-API-Key": key}))
    assert [response.status_code for response in answers] == [
        200, 401, 400, 404, 405, 200, 200, 200, 500
    ]  # fmt: skip
    for response in answers:
        assert response.headers["content-type"] == "application/json", response.request.url
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]
