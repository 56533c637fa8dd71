"""The edge: request ids, rate limits, metrics and the audit trail, over HTTP on SecantusDB."""

import re
from typing import Any

import httpx

from infra.rate_limits import RateLimiter
from models import AuditRecord
from resolvers.gerants import GerantCreate, create_gerant
from rpai.settings import Settings
from tests.support.app import services_of, serving
from tests.support.factories import make_gerant, make_key

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


class TestRequestId:
    async def test_generated_echoed_or_replaced(self, client: httpx.AsyncClient) -> None:
        generated = await client.get("/healthz")
        assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
        echoed = await client.get("/healthz", headers={"X-Request-ID": "pos-42.retry-1"})
        assert echoed.headers["x-request-id"] == "pos-42.retry-1"
        for insane in ("has spaces", "x" * 129, "<script>"):
            replaced = await client.get("/healthz", headers={"X-Request-ID": insane})
            assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


class TestRateLimits:
    async def test_per_key_limit_with_headers(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"rate_limit_per_minute": 3})
        async with serving(limited) as http:
            key = await make_key(await make_gerant())
            answers = [
                await http.get("/api/integrations/me", headers={"X-API-Key": key}) for _ in range(4)
            ]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
            assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
            refused = answers[-1]
            assert refused.json() == {
                "detail": "Rate limit exceeded: 3 requests per minute for this API key. Retry later"
            }
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
            over_graphql = await http.post(
                "/graphql", json={"query": "{ me { key { id } } }"}, headers={"X-API-Key": key}
            )
            [error] = over_graphql.json()["errors"]
            assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
            assert error["extensions"]["status"] == 429
            other_key = await make_key(await make_gerant())
            fresh = await http.get("/api/integrations/me", headers={"X-API-Key": other_key})
            assert fresh.status_code == 200

    async def test_failed_authentications_per_ip(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"auth_failures_per_minute": 3})
        async with serving(limited) as http:
            key = await make_key(await make_gerant())
            for _ in range(3):
                bad = await http.get("/api/integrations/stores", headers={"X-API-Key": "sk_live_x"})
                assert bad.status_code == 401
                assert "ratelimit-limit" in bad.headers
            blocked = await http.get("/api/integrations/stores", headers={"X-API-Key": "sk_live_y"})
            assert blocked.status_code == 429
            assert blocked.json() == {
                "detail": "Too many failed authentications from this address. Retry later"
            }
            assert "retry-after" in blocked.headers
            valid = await http.get("/api/integrations/me", headers={"X-API-Key": key})
            assert valid.status_code == 200

    async def test_keys_validated_before_a_flood_keep_working(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"auth_failures_per_minute": 3})
        async with serving(limited) as http:
            key = await make_key(await make_gerant())
            assert (await http.get("/api/integrations/me", headers={"X-API-Key": key})).is_success
            for _ in range(3):
                await http.get("/api/integrations/stores", headers={"X-API-Key": "sk_live_x"})
            still = await http.get("/api/integrations/me", headers={"X-API-Key": key})
            assert still.status_code == 200

    async def test_counts_are_shared_between_processes(self, client: httpx.AsyncClient) -> None:
        del client  # binds the documents to the test database
        here, there = RateLimiter("key", 10), RateLimiter("key", 10)
        for _ in range(3):
            here.hit("k1")
        there.hit("k1")
        await here.sync()
        await there.sync()
        assert there.peek("k1").remaining == 10 - 4
        await here.sync()
        assert here.peek("k1").remaining == 10 - 3
        here.hit("k1")
        await here.sync()
        assert here.peek("k1").remaining == 10 - 5

    def test_window_rolls_over(self) -> None:
        now = [120.0]
        limiter = RateLimiter("key", 2, clock=lambda: now[0])
        assert [limiter.hit("k").remaining for _ in range(3)] == [1, 0, -1]
        assert limiter.peek("k").reset == 60
        now[0] = 179.5
        assert limiter.peek("k").reset == 1
        now[0] = 180.0
        assert limiter.hit("k").remaining == 1


class TestMetrics:
    async def test_prometheus_exposition(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        await client.get("/api/integrations/stores", headers={"X-API-Key": key})
        await client.get("/api/integrations/stores", headers={"X-API-Key": "sk_live_nope"})
        text = (await client.get("/metrics")).text
        assert re.search(
            r'rpai_http_requests_total\{method="GET",route="/api/integrations/stores",'
            r'status="200"\} [1-9]',
            text,
        )
        assert 'rpai_http_request_duration_seconds_bucket{le="0.005",route=' in text
        assert re.search(r'rpai_auth_failures_total\{reason="malformed_key"\} [1-9]', text)
        assert "rpai_rate_limit_rejections_total" in text
        assert key not in text


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
