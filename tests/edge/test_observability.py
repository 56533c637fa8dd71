"""Metrics and the audit trail, over HTTP on SecantusDB."""

import re
from typing import Any

import httpx
from prometheus_client import REGISTRY, generate_latest

from models import AuditRecord, Role
from resolvers.gerants import GerantCreate, create_gerant
from tests.support.app import services_of
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import rest

PASSWORD = "correct horse battery"


async def login(http: httpx.AsyncClient, email: str) -> str:
    response = await http.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) "
            "{ login(email: $e, password: $p) { token } }",
            "variables": {"e": email, "p": PASSWORD},
        },
    )
    token: str = response.json()["data"]["login"]["token"]
    return token


async def gql(http: httpx.AsyncClient, query: str, token: str, **variables: Any) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


class TestMetrics:
    async def test_prometheus_exposition(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        await client.get("/api/integrations/stores", headers={"X-API-Key": "sk_live_nope"})
        # The API does not publish them: `rpai serve` serves them on a port of their own.
        assert (await client.get("/metrics")).status_code == 404
        text = generate_latest().decode()
        assert re.search(
            r'rpai_http_requests_total\{method="GET",route="/api/integrations/stores",'
            r'status="200"\} [1-9]',
            text,
        )
        assert 'rpai_http_request_duration_seconds_bucket{le="0.005",route=' in text
        assert re.search(r'rpai_auth_failures_total\{reason="malformed_key"\} [1-9]', text)
        assert "rpai_rate_limit_rejections_total" in text
        assert key not in text

    async def test_entries_written_are_counted(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
        key = await make_key(gerant)

        def written(outcome: str) -> float:
            name = "rpai_kpi_entries_written_total"
            return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

        created, updated = written("created"), written("updated")
        figures = {"ca_journalier": 10, "nb_ventes": 1, "nb_articles": 1}
        body: dict[str, Any] = {
            "store_id": store.id,
            "date": "2024-01-15",
            "kpi_entries": [{"seller_id": seller.id, **figures} for seller in sellers],
        }
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        body["kpi_entries"] = body["kpi_entries"][:2]
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        assert (written("created") - created, written("updated") - updated) == (3, 2)


class TestAuditTrail:
    async def test_every_call_is_recorded_without_the_key(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        await client.get(
            "/api/integrations/stores",
            headers={
                "X-API-Key": key,
                "X-Request-ID": "req-1",
                "User-Agent": "caisse/1.0",
                "Idempotency-Key": "idem-1",
            },
        )
        await client.get("/healthz")
        assert await services_of(client).audit.flush() == 1
        record = await AuditRecord.find_one()
        assert record is not None
        assert (record.gerant_id, record.key_prefix, record.method, record.path) == (
            gerant.id,
            key[:14],
            "GET",
            "/api/integrations/stores",
        )
        assert (record.status, record.request_id, record.user_agent, record.idempotency_key) == (
            200,
            "req-1",
            "caisse/1.0",
            "idem-1",
        )
        assert record.operation == "/api/integrations/stores"
        assert record.client_ip == "127.0.0.1"
        assert record.latency_ms > 0
        assert (record.expires_at - record.time).days == 90
        assert key not in record.model_dump_json()
        indexes = await AuditRecord.get_motor_collection().index_information()
        assert indexes["expires_ttl"]["expireAfterSeconds"] == 0

    async def test_the_operation_that_ran_is_recorded(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        document = "query First { me { key { id } } } query Second { stores { id } }"
        response = await client.post(
            "/graphql",
            json={"query": document, "operationName": "Second"},
            headers={"X-API-Key": key},
        )
        assert "stores" in response.json()["data"]
        await services_of(client).audit.flush()
        [record] = await AuditRecord.find({"path": "/graphql"}).to_list()
        assert record.operation == "query stores"

    async def test_gerant_reads_calls_and_auth_failures(self, client: httpx.AsyncClient) -> None:
        await create_gerant(
            data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
        )
        token = await login(client, "alice@example.com")
        created = await gql(
            client,
            'mutation { createApiKey(input: {name: "k", permissions: ["kpi:write"]}) '
            "{ key apiKey { id } } }",
            token,
        )
        key = created["data"]["createApiKey"]["key"]
        key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        for _ in range(2):
            await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        await gql(
            client, "mutation($id: ID!) { deactivateApiKey(id: $id) { id } }", token, id=key_id
        )
        await client.get("/api/integrations/me", headers={"X-API-Key": key})
        await make_key(await make_gerant())
        await services_of(client).audit.flush()

        page = await gql(
            client,
            "query($f: ApiCallFilter) { apiCallLog(filter: $f, first: 2) { edges { cursor node "
            "{ status keyId path } } pageInfo { hasNextPage endCursor } } }",
            token,
            f={"keyId": key_id},
        )
        log = page["data"]["apiCallLog"]
        assert [e["node"]["status"] for e in log["edges"]] == [401, 403]
        assert log["pageInfo"]["hasNextPage"] is True
        rest = await gql(
            client,
            "query($f: ApiCallFilter, $a: String) { apiCallLog(filter: $f, after: $a) "
            "{ edges { node { status path } } pageInfo { hasNextPage } } }",
            token,
            f={"keyId": key_id},
            a=log["pageInfo"]["endCursor"],
        )
        tail = rest["data"]["apiCallLog"]
        assert [e["node"] for e in tail["edges"]] == [
            {"status": 403, "path": "/api/integrations/stores"}
        ]
        assert tail["pageInfo"]["hasNextPage"] is False
        everything = await gql(
            client, "{ apiCallLog { edges { node { status operation keyId } } } }", token
        )
        operations = [e["node"]["operation"] for e in everything["data"]["apiCallLog"]["edges"]]
        assert operations == [
            "/api/integrations/me",
            "mutation deactivateApiKey",
            "/api/integrations/stores",
            "/api/integrations/stores",
            "mutation createApiKey",
        ]

        failures = await gql(client, "{ authFailures { reason clientIp count lastAt } }", token)
        groups = {(g["reason"], g["count"]) for g in failures["data"]["authFailures"]}
        assert groups == {("forbidden", 2), ("inactive_key", 1)}
        assert {g["clientIp"] for g in failures["data"]["authFailures"]} == {"127.0.0.1"}
        other = await create_gerant(
            data=GerantCreate(name="Bob", email="bob@example.com", password=PASSWORD)
        )
        bob = await login(client, other.email)
        assert (await gql(client, "{ apiCallLog { edges { cursor } } }", bob))["data"] == {
            "apiCallLog": {"edges": []}
        }
