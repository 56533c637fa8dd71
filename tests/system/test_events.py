"""The event log over the wire, on SecantusDB: an event is committed with its change or not at
all, a refused or retried write records none, and each tenant's events are its own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from contract.representations import event_json
from edge.idempotency import record_id
from infra.idempotency_store import LOCK_TIMEOUT
from models import Event, IdempotencyRecord, Role, Store, User
from models.clock import utcnow
from resolvers import events, stores
from rpai.settings import Settings
from tests.support.app import key_known
from tests.support.factories import make_api_key, make_gerant, make_key, make_store, make_user
from tests.support.servers import in_process_client
from tests.support.transport import graphql, graphql_input, rest

STORE = {"name": "Magasin Lyon Centre", "location": "69001 Lyon", "external_id": "LYON-001"}
CREATE_STORE = "mutation($i: CreateStoreInput!) { createStore(input: $i) { id } }"


async def events_of(gerant: User) -> list[dict[str, Any]]:
    """The tenant's events but its keys' (the factories make keys through the rules), oldest
    first, as the feed renders them."""
    query = {"gerant_id": gerant.id, "type": {"$not": {"$regex": "^api_key[.]"}}}
    found = await Event.find(query).sort("created_at", "_id").to_list()
    return [event_json(event) for event in found]


async def ready(client: httpx.AsyncClient) -> tuple[User, str]:
    gerant = await make_gerant()
    key = await make_key(gerant)
    await key_known(client, key)
    return gerant, key


@asynccontextmanager
async def fail_point(command: str, **data: Any) -> AsyncIterator[None]:
    """A fail point on the next `command` only."""
    admin = Store.get_motor_collection().database.client.admin
    await admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": 1},
            "data": {"failCommands": [command], **data},
        }
    )
    try:
        yield
    finally:
        await admin.command({"configureFailPoint": "failCommand", "mode": "off"})


@pytest.mark.usefixtures("client")
class TestWrittenWithTheChange:
    async def test_created_store_event_is_the_rest_answer(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        created = await rest(client, "POST", "/stores", key, STORE)
        assert created.status == 200
        [event] = await events_of(gerant)
        assert event == {
            "id": event["id"],
            "type": "store.created",
            "created_at": event["created_at"],
            "data": {"object": created.data["store"]},
        }

    async def test_update_over_graphql_carries_the_former_values(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant, key = await ready(client)
        store = await make_store(gerant, phone="0100000000")
        outcome = await graphql(
            client,
            'mutation($s: ID!) { updateStore(storeId: $s, input: {phone: "0472000000"}) { id } }',
            key,
            {"s": store.id},
        )
        assert outcome.status == 200
        listed = await rest(client, "GET", "/stores", key)
        [event] = await events_of(gerant)
        assert event["data"] == {
            "object": listed.data["stores"][0],
            "previous_attributes": {"phone": "0100000000"},
        }
        assert event["data"]["object"]["phone"] == "0472000000"

    async def test_a_sync_records_its_store_day(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        body = {
            "store_id": store.id,
            "date": "2024-01-15",
            "kpi_entries": [
                {"seller_id": seller.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2}
            ],
        }
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        day = await rest(
            client, "GET", f"/kpi?store_id={store.id}&from=2024-01-15&to=2024-01-15", key
        )
        [event] = await events_of(gerant)
        assert (event["type"], event["data"]) == (
            "kpi.synced",
            {
                "object": {
                    "store_id": store.id,
                    "date": "2024-01-15",
                    "created": 1,
                    "updated": 0,
                    "checksum": day.data["days"][0]["checksum"],
                }
            },
        )


@pytest.mark.usefixtures("client")
class TestNothingWithoutTheChange:
    async def test_a_taken_external_id_records_nothing(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        assert (await rest(client, "POST", "/stores", key, STORE)).status == 200
        again = await rest(client, "POST", "/stores", key, {**STORE, "name": "Autre"})
        assert (again.status, again.detail) == (400, messages.STORE_EXTERNAL_ID_TAKEN)
        assert [event["type"] for event in await events_of(gerant)] == ["store.created"]

    async def test_an_update_to_a_taken_external_id_records_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant, key = await ready(client)
        await make_store(gerant, external_id="LYON-001")
        other = await make_store(gerant)
        body = {"external_id": "LYON-001"}
        refused = await rest(client, "PUT", f"/stores/{other.id}", key, body)
        assert (refused.status, refused.detail) == (400, messages.STORE_EXTERNAL_ID_TAKEN)
        assert await events_of(gerant) == []

    async def test_a_taken_email_records_nothing(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        store = await make_store(gerant)
        taken = await make_user(gerant, Role.MANAGER, store)
        body = {"name": "Jean Dupont", "email": taken.email}
        refused = await rest(client, "POST", f"/stores/{store.id}/managers", key, body)
        assert (refused.status, refused.detail) == (400, messages.EMAIL_TAKEN)
        assert await events_of(gerant) == []

    async def test_an_invalid_body_records_nothing(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        store = await make_store(gerant)
        refused = await rest(client, "PUT", f"/stores/{store.id}", key, {})
        assert (refused.status, refused.detail) == (400, messages.NO_FIELDS_TO_UPDATE)
        assert await events_of(gerant) == []

    async def test_a_commit_that_fails_after_the_event_leaves_neither(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant, key = await ready(client)
        async with fail_point("commitTransaction", errorCode=2):
            failed = await rest(client, "POST", "/stores", key, STORE)
        assert failed.status == 500
        assert await Store.find({"gerant_id": gerant.id}).count() == 0
        assert await events_of(gerant) == []

    async def test_a_failure_after_the_event_insert_leaves_neither(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant, key = await ready(client)
        store = await make_store(gerant)
        manager = await make_user(gerant, Role.MANAGER, store)
        recorded = events.record_all

        async def record_then_fail(*args: Any, **kwargs: Any) -> None:
            await recorded(*args, **kwargs)
            raise RuntimeError("the process fails after the events' insert")

        monkeypatch.setattr(stores, "record_all", record_then_fail)
        failed = await rest(client, "DELETE", f"/stores/{store.id}", key)
        assert failed.status == 500
        still = await Store.get(store.id)
        assert still is not None
        assert still.active
        staff = await User.get(manager.id)
        assert staff is not None
        assert staff.status.value == "active"
        assert await events_of(gerant) == []


@pytest.mark.usefixtures("client")
class TestRetries:
    async def test_a_replayed_create_records_one_event(self, client: httpx.AsyncClient) -> None:
        gerant, key = await ready(client)
        headers = {"X-API-Key": key, "Idempotency-Key": "order-1"}
        for _ in range(2):
            response = await client.post("/api/integrations/stores", json=STORE, headers=headers)
            assert response.status_code == 200
        assert [event["type"] for event in await events_of(gerant)] == ["store.created"]

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_a_create_run_again_after_its_answer_was_lost_records_nothing_more(
        self, client: httpx.AsyncClient, transport: str
    ) -> None:
        """The first attempt committed, then its answer was lost before it was recorded: the
        retry takes the request over and runs it again, and finds the store it made."""
        gerant = await make_gerant()
        created = await make_api_key(gerant)
        await key_known(client, created.key)
        headers = {"X-API-Key": created.key, "Idempotency-Key": "order-1"}
        url: str = "/api/integrations/stores"
        payload: dict[str, Any] = STORE
        if transport == "graphql":
            url, payload = (
                "/graphql",
                {"query": CREATE_STORE, "variables": {"i": graphql_input(STORE)}},
            )
        first = await client.post(url, json=payload, headers=headers)
        assert first.status_code == 200
        lost = record_id(
            tenant_id=gerant.id, principal_id=f"key:{created.api_key.id}", key="order-1"
        )
        await IdempotencyRecord.find_one({"_id": lost}).update(
            {
                "$set": {
                    "response": None,
                    "lock_id": "dead-process",
                    "locked_at": utcnow() - LOCK_TIMEOUT - timedelta(seconds=1),
                }
            }
        )
        again = await client.post(url, json=payload, headers=headers)
        assert again.status_code == 200
        assert "errors" not in first.json()
        assert again.json() == first.json()
        assert await Store.find({"gerant_id": gerant.id}).count() == 1
        assert [event["type"] for event in await events_of(gerant)] == ["store.created"]

    async def test_a_user_create_run_again_records_nothing_more(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        created = await make_api_key(gerant)
        await key_known(client, created.key)
        store = await make_store(gerant)
        headers = {"X-API-Key": created.key, "Idempotency-Key": "hire-1"}
        url = f"/api/integrations/stores/{store.id}/managers"
        body = {"name": "Jean Dupont", "email": "jean@example.com"}
        assert (await client.post(url, json=body, headers=headers)).status_code == 200
        lost = record_id(
            tenant_id=gerant.id, principal_id=f"key:{created.api_key.id}", key="hire-1"
        )
        await IdempotencyRecord.find_one({"_id": lost}).update(
            {
                "$set": {
                    "response": None,
                    "lock_id": "dead-process",
                    "locked_at": utcnow() - LOCK_TIMEOUT - timedelta(seconds=1),
                }
            }
        )
        assert (await client.post(url, json=body, headers=headers)).status_code == 200
        types = [event["type"] for event in await events_of(gerant)]
        assert types == ["user.created", "invitation.sent"]


@pytest.mark.usefixtures("client")
async def test_a_tenants_events_are_its_own(client: httpx.AsyncClient) -> None:
    tenant_a, key_a = await ready(client)
    tenant_b, key_b = await ready(client)
    assert (await rest(client, "POST", "/stores", key_a, STORE)).status == 200
    assert (await rest(client, "POST", "/stores", key_b, {**STORE, "name": "B"})).status == 200
    [of_a] = await events_of(tenant_a)
    [of_b] = await events_of(tenant_b)
    assert of_a["data"]["object"]["gerant_id"] == tenant_a.id
    assert of_b["data"]["object"]["gerant_id"] == tenant_b.id
    assert of_a["id"] != of_b["id"]


async def test_events_are_kept_as_long_as_the_setting_says(settings: Settings) -> None:
    async with in_process_client(settings.model_copy(update={"event_retention_days": 2})) as http:
        _, key = await ready(http)
        assert (await rest(http, "POST", "/stores", key, STORE)).status == 200
        [event] = await Event.find({"type": "store.created"}).to_list()
        assert event.expires_at - event.created_at == timedelta(days=2)
