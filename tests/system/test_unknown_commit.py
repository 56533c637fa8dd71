"""A create whose write committed but whose answer was lost: its retry recognises it (the
operation id written with the document) and answers 200 with it, never "already exists"; an
outcome that stays unknown answers 503 and is not kept."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from motor.motor_asyncio import AsyncIOMotorClientSession, AsyncIOMotorCollection
from pymongo.errors import AutoReconnect

from contract import messages
from infra.idempotency_store import LOCK_TIMEOUT, RELEASED, IdempotencyStore
from infra.tokens import TokenSigner
from models import ApiKey, IdempotencyRecord, Invitation, Store, User
from models.clock import utcnow
from tests.support.factories import make_gerant, make_key, make_store
from tests.support.settings import TEST_JWT_SECRET

STORE = {"name": "Magasin Lyon Centre", "location": "69001 Lyon"}
CREATE_KEY = (
    'mutation { createApiKey(input: {name: "ERP", permissions: ["stores:read"]}) '
    "{ key apiKey { id } } }"
)
ROTATE_KEY = "mutation($id: ID!) { rotateApiKey(id: $id, graceDays: 0) { key apiKey { id } } }"
UNAVAILABLE = {"detail": messages.SERVICE_UNAVAILABLE}


def lose_the_answer(monkeypatch: pytest.MonkeyPatch, collection: str, *, retried: bool) -> None:
    """The next insert on `collection` commits and its answer is lost. With `retried`, the
    driver sends it again to a database that no longer knows the first (restarted), and what
    that answers surfaces; without, the connection error surfaces.

    A write in a transaction (with its event) commits with the transaction: the driver never
    retries a statement inside one, and it is the commit's answer that is lost. Retried, the
    commit is answered by the record the server keeps of it (the write is answered as if
    nothing happened); not retried, the connection error surfaces."""
    original: Callable[..., Awaitable[Any]] = AsyncIOMotorCollection.insert_one
    commit: Callable[..., Awaitable[Any]] = AsyncIOMotorClientSession.commit_transaction
    pending = [True]
    armed: list[AsyncIOMotorClientSession] = []

    async def faulty(self: AsyncIOMotorCollection[Any], *args: Any, **kwargs: Any) -> Any:
        if not pending or self.name != collection:
            return await original(self, *args, **kwargs)
        pending.clear()
        session = kwargs.get("session")
        if session is not None and session.delegate.in_transaction:
            armed.append(session)
            return await original(self, *args, **kwargs)
        await original(self, *args, **kwargs)
        if retried:
            return await original(self, *args, **kwargs)
        raise AutoReconnect("connection closed")

    async def committed_unanswered(self: AsyncIOMotorClientSession) -> None:
        await commit(self)
        if self in armed and not retried:
            armed.clear()
            raise AutoReconnect("connection closed")

    monkeypatch.setattr(AsyncIOMotorCollection, "insert_one", faulty)
    monkeypatch.setattr(AsyncIOMotorClientSession, "commit_transaction", committed_unanswered)


def session_headers(gerant: User, idempotency_key: str | None = None) -> dict[str, str]:
    token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


async def tenant_stores(gerant: User) -> list[str]:
    return [store.id for store in await Store.find({"gerant_id": gerant.id}).to_list()]


class TestTheDriversRetry:
    """The database died after committing and before answering; the driver's retry reached it
    restarted, which ran the insert again."""

    async def test_a_store_is_answered_not_refused_as_taken(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        lose_the_answer(monkeypatch, "stores", retried=True)
        created = await client.post(
            "/api/integrations/stores", json=STORE, headers={"X-API-Key": key}
        )
        assert created.status_code == 200
        assert [created.json()["store"]["id"]] == await tenant_stores(gerant)

    @pytest.mark.parametrize("role", ["managers", "sellers"])
    async def test_staff_is_answered_with_its_invitation_queued_once(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, role: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        key = await make_key(gerant)
        lose_the_answer(monkeypatch, "users", retried=True)
        created = await client.post(
            f"/api/integrations/stores/{store.id}/{role}",
            json={"name": "Jean Dupont", "email": "jean@example.com"},
            headers={"X-API-Key": key},
        )
        assert created.status_code == 200
        [user] = await User.find({"email_key": "jean@example.com"}).to_list()
        assert created.json()[f"{role[:-1]}_id"] == user.id
        assert [i.user_id for i in await Invitation.find_all().to_list()] == [user.id]

    async def test_an_api_key_is_answered_and_works(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant = await make_gerant()
        lose_the_answer(monkeypatch, "api_keys", retried=True)
        created = await client.post(
            "/graphql", json={"query": CREATE_KEY}, headers=session_headers(gerant)
        )
        made = created.json()["data"]["createApiKey"]
        assert [k.id for k in await ApiKey.find({"gerant_id": gerant.id}).to_list()] == [
            made["apiKey"]["id"]
        ]
        me = await client.get("/api/integrations/me", headers={"X-API-Key": made["key"]})
        assert me.status_code == 200


class TestTheClientsRetry:
    """The request could not learn its write's outcome: it answers 503 and keeps nothing; the
    client's retry with the same Idempotency-Key finds what the first attempt created."""

    async def test_a_store_answers_503_then_200_with_the_store(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant = await make_gerant()
        headers = {"X-API-Key": await make_key(gerant), "Idempotency-Key": "store-1"}
        lose_the_answer(monkeypatch, "stores", retried=False)
        first = await client.post("/api/integrations/stores", json=STORE, headers=headers)
        [record] = await IdempotencyRecord.find_all().to_list()
        again = await client.post("/api/integrations/stores", json=STORE, headers=headers)

        assert (first.status_code, first.json(), first.headers["retry-after"]) == (
            503,
            UNAVAILABLE,
            "5",
        )
        assert (record.response, record.lock_id) == (None, RELEASED)  # nothing kept, free
        assert again.status_code == 200
        assert [again.json()["store"]["id"]] == await tenant_stores(gerant)

    async def test_an_api_key_answers_a_working_key_once(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The first attempt's key was never shown: the retry gives that key a new secret."""
        gerant = await make_gerant()
        headers = session_headers(gerant, "key-1")
        lose_the_answer(monkeypatch, "api_keys", retried=False)
        first = await client.post("/graphql", json={"query": CREATE_KEY}, headers=headers)
        [earlier] = await ApiKey.find({"gerant_id": gerant.id}).to_list()
        again = await client.post("/graphql", json={"query": CREATE_KEY}, headers=headers)

        assert first.json()["errors"][0]["extensions"] == {
            "code": "SERVICE_UNAVAILABLE",
            "status": 503,
            "retryAfter": 5,
        }
        made = again.json()["data"]["createApiKey"]
        assert made["apiKey"]["id"] == earlier.id
        assert await ApiKey.find({"gerant_id": gerant.id}).count() == 1
        me = await client.get("/api/integrations/me", headers={"X-API-Key": made["key"]})
        assert me.status_code == 200

    async def test_a_rotation_is_answered_not_refused_as_already_rotated(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant = await make_gerant()
        headers = session_headers(gerant, "rotate-1")
        created = await client.post("/graphql", json={"query": CREATE_KEY}, headers=headers)
        old_id = created.json()["data"]["createApiKey"]["apiKey"]["id"]
        payload = {"query": ROTATE_KEY, "variables": {"id": old_id}}
        headers["Idempotency-Key"] = "rotate-2"
        lose_the_answer(monkeypatch, "api_keys", retried=False)
        first = await client.post("/graphql", json=payload, headers=headers)
        again = await client.post("/graphql", json=payload, headers=headers)

        assert first.json()["errors"][0]["extensions"]["status"] == 503
        new = again.json()["data"]["rotateApiKey"]
        old = await ApiKey.get(old_id)
        assert old is not None
        assert old.replaced_by == new["apiKey"]["id"]
        assert await ApiKey.find({"gerant_id": gerant.id}).count() == 2

    async def test_an_answer_that_cannot_be_recorded_is_a_503_and_its_retry_finds_the_store(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Sent unrecorded, a 200 could be followed by a retry that runs again; the record
        stays in progress until its lock times out (as after a crash), then the retry finds
        what the first attempt created."""
        gerant = await make_gerant()
        headers = {"X-API-Key": await make_key(gerant), "Idempotency-Key": "store-1"}

        async def unreachable(*_: Any) -> None:
            raise AutoReconnect("connection closed")

        with monkeypatch.context() as patched:
            patched.setattr(IdempotencyStore, "complete", unreachable)
            first = await client.post("/api/integrations/stores", json=STORE, headers=headers)
        await IdempotencyRecord.get_motor_collection().update_many(
            {}, {"$set": {"locked_at": utcnow() - LOCK_TIMEOUT - timedelta(seconds=1)}}
        )
        again = await client.post("/api/integrations/stores", json=STORE, headers=headers)

        assert (first.status_code, first.json(), first.headers["retry-after"]) == (
            503,
            UNAVAILABLE,
            "5",
        )
        assert again.status_code == 200
        assert [again.json()["store"]["id"]] == await tenant_stores(gerant)
