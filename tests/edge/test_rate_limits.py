"""Rate limits at the edge, over HTTP on SecantusDB: per caller, and failing credentials per
IP."""

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from infra import rate_limits
from infra.api_key_format import generate_key
from infra.rate_limits import RateLimiter, RateLimits, WindowState
from infra.tokens import TokenSigner
from models.rate_limit_counter import RateLimitCounter
from rpai.settings import Settings
from tests.support.app import key_known
from tests.support.factories import make_gerant, make_key
from tests.support.servers import in_process_client
from tests.support.settings import TEST_JWT_SECRET


class TestRateLimits:
    async def test_per_key_limit_with_headers(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"rate_limit_per_minute": 3})
        async with in_process_client(limited) as http:
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

    async def test_callers_without_credentials_are_limited_per_address(
        self, settings: Settings
    ) -> None:
        limited = settings.model_copy(update={"anonymous_rate_limit_per_minute": 3})
        async with in_process_client(limited) as http:
            key = await make_key(await make_gerant())
            await key_known(http, key)
            answers = [await http.get("/api/integrations/stores") for _ in range(3)]
            assert [a.status_code for a in answers] == [401, 401, 401]
            assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
            refused = await http.get("/api/integrations/stores")
            assert refused.status_code == 429
            assert refused.json() == {
                "detail": "Rate limit exceeded: 3 requests per minute from this address without "
                "credentials. Send an API key or a session token, or retry later"
            }
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
            over_graphql = await http.post("/graphql", json={"query": "{ __typename }"})
            [error] = over_graphql.json()["errors"]
            assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
            assert error["extensions"]["status"] == 429
            assert 1 <= error["extensions"]["retryAfter"] <= 60
            # A key at the same address is not held back; pages and probes are not counted.
            mine = await http.get("/api/integrations/me", headers={"X-API-Key": key})
            assert mine.status_code == 200
            assert (await http.get("/healthz")).status_code == 200

    async def test_failed_authentications_per_ip(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"auth_failures_per_minute": 3})
        async with in_process_client(limited) as http:
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

    async def test_a_parallel_flood_is_counted_as_it_starts(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"auth_failures_per_minute": 3})
        async with in_process_client(limited) as http:
            forged = [generate_key() for _ in range(20)]
            answers = await asyncio.gather(
                *(http.get("/api/integrations/stores", headers={"X-API-Key": k}) for k in forged)
            )
            assert Counter(a.status_code for a in answers) == {401: 3, 429: 17}
            login = await http.post(
                "/graphql",
                json={"query": 'mutation { login(email: "a@b.fr", password: "x") { token } }'},
            )
            [error] = login.json()["errors"]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"  # not held back by the flood

    async def test_a_session_is_counted_once_however_its_token_is_spelled(
        self, settings: Settings
    ) -> None:
        limited = settings.model_copy(update={"rate_limit_per_minute": 3})
        async with in_process_client(limited) as http:
            gerant = await make_gerant()
            token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
            statuses = []
            for spelling in (token, token + "=", token, token + "="):
                answer = await http.post(
                    "/graphql",
                    json={"query": "{ stores { id } }"},
                    headers={"Authorization": f"Bearer {spelling}"},
                )
                errors = answer.json().get("errors") or [{"extensions": {"status": 200}}]
                statuses.append(errors[0]["extensions"]["status"])
            assert statuses == [200, 200, 200, 429]

    async def test_keys_validated_before_a_flood_keep_working(self, settings: Settings) -> None:
        limited = settings.model_copy(update={"auth_failures_per_minute": 3})
        async with in_process_client(limited) as http:
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


@pytest.mark.usefixtures("mock_db")
class TestLimiterRules:
    """The limiter's own rules, on mongomock and a fixed clock (no server)."""

    async def test_counts_are_published_and_read_back_per_window(self) -> None:
        now = [130.0]
        here = RateLimiter("key", 10, clock=lambda: now[0])
        there = RateLimiter("key", 10, clock=lambda: now[0])
        for _ in range(3):
            here.hit("k1")
        there.hit("k1")
        there.hit("k2")
        await here.sync()
        await there.sync()
        assert (there.peek("k1").remaining, there.peek("k2").remaining) == (10 - 4, 10 - 1)
        assert here.peek("k1").remaining == 10 - 3  # not read back yet
        await here.sync()  # nothing new to publish: nothing read either
        assert here.peek("k1").remaining == 10 - 3
        here.hit("k1")
        await here.sync()
        assert here.peek("k1").remaining == 10 - 5
        stored = await RateLimitCounter.get_motor_collection().find_one({"_id": "key:k1:120"})
        assert stored is not None
        assert stored["hits"] == 5
        assert stored["expires_at"].replace(tzinfo=UTC) == datetime.fromtimestamp(240, UTC)
        now[0] = 180.0  # the next window starts from nothing
        assert here.peek("k1") == WindowState(limit=10, remaining=10, reset=60)
        await here.sync()
        assert await RateLimitCounter.find_all().count() == 2

    async def test_hits_taken_back_never_go_below_nothing(self) -> None:
        now = [130.0]
        here = RateLimiter("login", 5, clock=lambda: now[0])
        for _ in range(3):
            here.hit("a")
        here.forget("a", 1)
        assert here.peek("a").remaining == 5 - 2
        here.forget("a", 10)  # more than it has: what it has
        assert here.peek("a").remaining == 5
        here.forget("a", 1)  # nothing left to take
        assert (here.local, here.unsynced) == ({"a": 0}, {"a": 0})
        here.forget("b")  # never seen: nothing recorded
        assert "b" not in here.local
        here.others["c"] = 2  # only other processes' hits: taken back from this one's count
        here.forget("c")
        assert (here.local["c"], here.unsynced["c"], here.peek("c").remaining) == (-2, -2, 5)
        await here.sync()
        stored = await RateLimitCounter.get_motor_collection().find_one({"_id": "login:a:120"})
        assert stored is not None
        assert stored["hits"] == 0

    async def test_taking_back_every_hit_includes_other_processes(self) -> None:
        now = [130.0]
        here = RateLimiter("login", 5, clock=lambda: now[0])
        there = RateLimiter("login", 5, clock=lambda: now[0])
        there.hit("a")
        there.hit("a")
        await there.sync()
        here.hit("a")
        await here.sync()
        assert here.peek("a").remaining == 5 - 3
        here.forget("a")
        assert here.peek("a").remaining == 5
        await here.sync()
        assert here.peek("a").remaining == 5
        there.hit("a")
        await there.sync()
        assert there.peek("a").remaining == 5 - 1

    async def test_a_full_limiter_takes_nothing_back_for_a_new_subject(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(rate_limits, "MAX_SUBJECTS", 2)
        here = RateLimiter("login", 5, clock=lambda: 130.0)
        here.hit("a")
        here.hit("b")
        here.others["new"] = 2  # published by another process
        here.forget("new")
        assert "new" not in here.local
        assert "new" not in here.unsynced
        here.forget("a")
        assert (here.local["a"], here.unsynced["a"]) == (0, 0)

    async def test_limits_are_counted_by_name(self) -> None:
        limits = RateLimits.build(per_key=5, auth_failures=2, anonymous=3)
        assert (limits.per_key.name, limits.per_key.limit) == ("key", 5)
        assert (limits.auth_failures.name, limits.auth_failures.limit) == ("auth_fail", 2)
        assert (limits.anonymous.name, limits.anonymous.limit) == ("anonymous", 3)
        limits.per_key.hit("s")
        limits.auth_failures.hit("s")
        limits.anonymous.hit("s")
        await limits.sync()
        ids = {document.id for document in await RateLimitCounter.find_all().to_list()}
        window = limits.per_key.window
        assert ids == {f"key:s:{window}", f"auth_fail:s:{window}", f"anonymous:s:{window}"}

    def test_exceeded_only_past_the_limit(self) -> None:
        limiter = RateLimiter("key", 1, clock=lambda: 60.0)
        first = limiter.hit("k")
        assert first == WindowState(limit=1, remaining=0, reset=60)
        assert not first.exceeded
        second = limiter.hit("k")
        assert (second.remaining, second.exceeded, second.limit) == (-1, True, 1)
        assert limiter.peek("other") == WindowState(limit=1, remaining=1, reset=60)

    def test_new_subjects_past_the_bound_are_not_counted(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(rate_limits, "MAX_SUBJECTS", 2)
        limiter = RateLimiter("key", 5, clock=lambda: 60.0)
        limiter.hit("a")
        limiter.hit("b")
        assert limiter.hit("c").remaining == 5
        assert limiter.hit("a").remaining == 3
        assert limiter.unsynced == {"a": 2, "b": 1}

    async def test_counters_expire_in_utc_whatever_the_machines_zone(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("TZ", "XST+05")  # five hours behind UTC
        time.tzset()
        try:
            limiter = RateLimiter("key", 10, clock=lambda: 130.0)
            limiter.hit("k")
            await limiter.sync()
        finally:
            monkeypatch.undo()
            time.tzset()
        stored = await RateLimitCounter.get_motor_collection().find_one({"_id": "key:k:120"})
        assert stored is not None
        assert stored["expires_at"].replace(tzinfo=UTC) == datetime.fromtimestamp(240, UTC)
