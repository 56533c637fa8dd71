"""Webhook delivery over the wire: the app's own workers deliver to a local receiver (signatures
checked with `standardwebhooks`); several `rpai serve` on one database deliver each event once,
and a server killed mid-delivery leaves it to the other once its lease has passed."""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pymongo import MongoClient
from standardwebhooks import Webhook

from infra.webhook_sender import generate_secret
from models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from models.clock import utcnow
from models.ids import new_id
from resolvers.webhook_delivery import fan_out
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.events import STORE_OBJECT, record_event
from tests.support.servers import in_process_client, kill_everything, start_subprocess_server
from tests.support.servers import subprocess_server as server
from tests.support.settings import TEST_JWT_SECRET
from tests.support.webhook_receiver import Receiver, receiving

TENANT = "usr_webhooks"
WAIT_SECONDS = 60.0
Database = Any  # a pymongo database of raw documents


def endpoint_document(url: str) -> dict[str, Any]:
    """An endpoint of every event type as the endpoints API stores it."""
    return {
        "_id": new_id("we"),
        "gerant_id": TENANT,
        "url": url,
        "events": ["*"],
        "status": "enabled",
        "secret": generate_secret(),
        "created_at": utcnow() - timedelta(minutes=1),
        "updated_at": utcnow(),
    }


def event_document() -> dict[str, Any]:
    """An update event as the recorder stores it, still to dispatch."""
    now = utcnow()
    return {
        "_id": new_id("evt"),
        "gerant_id": TENANT,
        "type": "store.updated",
        "created_at": now,
        "data": {"object": STORE_OBJECT, "previous_attributes": {"name": "Lyon"}},
        "expires_at": now + timedelta(days=30),
        "to_dispatch": True,
    }


async def insert_endpoint(url: str) -> WebhookEndpoint:
    endpoint: WebhookEndpoint = WebhookEndpoint.model_validate(endpoint_document(url))
    await endpoint.insert()
    return endpoint


def wait_until_settled(database: Database, count: int) -> list[dict[str, Any]]:
    """The deliveries once `count` of them are delivered or failed."""
    deadline = time.monotonic() + WAIT_SECONDS
    settled = {"status": {"$in": [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]}}
    while database.webhook_deliveries.count_documents(settled) < count:
        assert time.monotonic() < deadline, list(database.webhook_deliveries.find())
        time.sleep(0.1)
    return list(database.webhook_deliveries.find())


@contextmanager
def shared_database(secantus_uri: str) -> Iterator[tuple[str, Database]]:
    """A database of its own on the test server: its URL and a client on it."""
    url = f"{secantus_uri}webhooks_{uuid4().hex}"
    client: MongoClient[dict[str, Any]] = MongoClient(url, tz_aware=True)
    try:
        yield url, client.get_default_database()
    finally:
        client.drop_database(client.get_default_database().name)
        client.close()


def server_env(url: str, **extra: str) -> dict[str, str]:
    return {
        "MONGODB_URL": url,
        "RPAI_JWT_SECRET": TEST_JWT_SECRET,
        "RPAI_WEBHOOK_ALLOW_PRIVATE": "true",
        "RPAI_WEBHOOK_POLL_SECONDS": "0.2",
        **extra,
    }


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """The test settings, with the delivery workers looking for work often."""
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_poll_seconds": 0.1})


async def test_the_app_delivers_a_committed_event_signed(fast_settings: Settings) -> None:
    receiver = Receiver()
    with receiving(receiver) as base:
        async with in_process_client(fast_settings):
            hook = await insert_endpoint(f"{base}/hook")
            happened = await record_event(TENANT, "store.created", utcnow())
            [request] = await receiver.received_at_least(1)
            [delivery] = await WebhookDelivery.find_all().to_list()
    assert request.webhook_id == happened.id
    verified = Webhook(hook.secret).verify(request.body, request.headers)
    assert (verified["id"], verified["type"]) == (happened.id, "store.created")
    assert delivery.event_id == happened.id


@pytest.mark.usefixtures("client")
async def test_a_fan_out_made_again_after_a_crash_adds_no_delivery() -> None:
    """The deliveries were inserted and the process died before marking the events."""
    hooks = [await insert_endpoint(f"https://hooks.example.com/{n}") for n in range(2)]
    events = [await record_event(TENANT, "store.created", utcnow()) for _ in range(3)]
    assert await fan_out() == 3
    await Event.get_motor_collection().update_many({}, {"$set": {"to_dispatch": True}})

    assert sorted(await asyncio.gather(fan_out(), fan_out())) in ([0, 3], [3, 3])

    made = await WebhookDelivery.find_all().to_list()
    assert sorted((d.event_id, d.endpoint_id) for d in made) == sorted(
        (e.id, h.id) for e in events for h in hooks
    )
    assert await Event.find({"to_dispatch": True}).count() == 0


def test_two_servers_deliver_each_event_once(tmp_path: Path, secantus_uri: str) -> None:
    receiver = Receiver()
    with receiving(receiver) as base, shared_database(secantus_uri) as (url, database):
        env = server_env(url)
        with (
            server(tmp_path / "a", tmp_path / "a.log", env),
            server(tmp_path / "b", tmp_path / "b.log", env),
        ):
            hook = endpoint_document(f"{base}/hook")
            database.webhook_endpoints.insert_one(hook)
            events = [event_document() for _ in range(30)]
            database.events.insert_many(events)
            deliveries = wait_until_settled(database, 30)
        requests = receiver.wait_for(30)
    assert Counter(r.webhook_id for r in requests) == Counter(e["_id"] for e in events)
    assert {d["status"] for d in deliveries} == {DeliveryStatus.DELIVERED}
    assert [len(d["attempts"]) for d in deliveries] == [1] * 30
    for request in requests:
        Webhook(hook["secret"]).verify(request.body, request.headers)


def test_a_delivery_of_a_killed_server_is_completed_by_another(
    tmp_path: Path, secantus_uri: str
) -> None:
    receiver = Receiver(gate=threading.Event())
    with receiving(receiver) as base, shared_database(secantus_uri) as (url, database):
        env = server_env(url, RPAI_WEBHOOK_TIMEOUT_SECONDS="5", RPAI_WEBHOOK_LEASE_SECONDS="6")
        killed = start_subprocess_server(tmp_path / "a", free_port(), tmp_path / "a.log", env)
        try:
            database.webhook_endpoints.insert_one(endpoint_document(f"{base}/hook"))
            happened = event_document()
            database.events.insert_one(happened)
            receiver.wait_for(1)  # the killed server's attempt, held open
        finally:
            kill_everything(killed)
        assert receiver.gate is not None
        receiver.gate.set()
        claimed = database.webhook_deliveries.find_one()
        assert claimed is not None
        assert (claimed["status"], claimed["attempts"]) == (DeliveryStatus.SENDING, [])
        with server(tmp_path / "b", tmp_path / "b.log", env):
            [delivery] = wait_until_settled(database, 1)
        requests = receiver.wait_for(2)
    assert [r.webhook_id for r in requests] == [happened["_id"], happened["_id"]]
    assert delivery["status"] == DeliveryStatus.DELIVERED
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [(1, 200)]
