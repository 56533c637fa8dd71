"""REST /webhook_endpoints/{id}/deliveries, /deliveries/{event_id}/retry and /test against
SecantusDB: shapes, status codes and messages, tenant isolation. Nothing is sent here: these
calls make or reset deliveries, which the workers send."""

import dataclasses
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from infra.public_addresses import EndpointUrlPolicy
from models import DeliveryStatus, Event, WebhookDelivery
from models.clock import utcnow
from tests.support.app import app_of
from tests.support.events import feed_key
from tests.support.factories import make_gerant, make_key

API = "/api/integrations/webhook_endpoints"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CREATE = {"url": "https://hooks.example.com/retail", "events": ["store.created"]}


async def resolve(host: str, port: int) -> Sequence[str]:
    del host, port
    return ["93.184.216.34"]


@pytest.fixture
def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app's client, its webhook URLs resolved by `resolve` (no DNS in tests)."""
    app = app_of(client)
    policy = EndpointUrlPolicy(allow_private=False, resolve=resolve)
    app.state.services = dataclasses.replace(app.state.services, webhook_urls=policy)
    return client


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


async def endpoint_id(http: httpx.AsyncClient, key: str, **body: Any) -> str:
    response = await http.post(API, json={**CREATE, **body}, headers=headers(key))
    assert response.status_code == 200, response.text
    found: str = response.json()["webhook_endpoint"]["id"]
    return found


async def store_created(gerant_id: str) -> str:
    """An event of the tenant, as the log holds it."""
    now = utcnow()
    event = Event(
        gerant_id=gerant_id,
        type="store.created",
        created_at=now,
        data={"object": {"id": "store-1"}},
        expires_at=now + timedelta(days=30),
    )
    await event.insert()
    return event.id


def delivery_shape(answer: dict[str, Any], **expected: Any) -> None:
    assert set(answer) == {
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    }
    assert answer["id"].startswith("whd_")
    assert TIMESTAMP.match(answer["created_at"])
    assert {name: answer[name] for name in expected} == expected


async def test_ping_then_list_then_retry(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await feed_key(gerant)
    hook = await endpoint_id(http, key)
    pinged = await http.post(f"{API}/{hook}/test", headers=headers(key))
    assert pinged.status_code == 200, pinged.text
    assert set(pinged.json()) == {"delivery"}
    ping = pinged.json()["delivery"]
    delivery_shape(ping, event_type="ping", status="pending", attempts=[])
    assert ping["event_id"].startswith("evt_")
    assert TIMESTAMP.match(ping["next_attempt_at"])

    event_id = await store_created(gerant.id)
    made = await http.post(f"{API}/{hook}/deliveries/{event_id}/retry", headers=headers(key))
    assert made.status_code == 200, made.text
    delivery_shape(
        made.json()["delivery"], event_id=event_id, event_type="store.created", status="pending"
    )

    listed = await http.get(f"{API}/{hook}/deliveries", headers=headers(key))
    assert listed.status_code == 200
    assert listed.json() == {"deliveries": [made.json()["delivery"], ping], "has_more": False}
    first = await http.get(f"{API}/{hook}/deliveries?limit=1", headers=headers(key))
    assert (first.json()["deliveries"], first.json()["has_more"]) == (
        [made.json()["delivery"]],
        True,
    )
    rest = await http.get(
        f"{API}/{hook}/deliveries?limit=1&starting_after={made.json()['delivery']['id']}",
        headers=headers(key),
    )
    assert rest.json() == {"deliveries": [ping], "has_more": False}

    # The ping is not in the feed.
    feed = await http.get("/api/integrations/events", headers=headers(key))
    assert [event["id"] for event in feed.json()["events"]] == [event_id]


async def test_attempts_and_a_delivery_under_way(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    hook = await endpoint_id(http, key)
    event_id = await store_created(gerant.id)
    await http.post(f"{API}/{hook}/deliveries/{event_id}/retry", headers=headers(key))
    at = utcnow().replace(microsecond=0)
    attempt = {"attempt": 1, "at": at, "status_code": 503, "duration_ms": 42, "error": "HTTP 503"}
    # What a worker holding the lease leaves: an attempt made, and its claim until later.
    await WebhookDelivery.get_motor_collection().update_one(
        {"endpoint_id": hook, "event_id": event_id},
        {
            "$set": {
                "status": DeliveryStatus.SENDING.value,
                "lease_owner": "worker-1",
                "next_attempt_at": utcnow() + timedelta(minutes=1),
                "attempts": [attempt],
            }
        },
    )
    listed = await http.get(f"{API}/{hook}/deliveries", headers=headers(key))
    [delivery] = listed.json()["deliveries"]
    delivery_shape(delivery, status="sending", next_attempt_at=None)
    assert delivery["attempts"] == [
        {**attempt, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
    ]
    busy = await http.post(f"{API}/{hook}/deliveries/{event_id}/retry", headers=headers(key))
    assert (busy.status_code, busy.json()) == (
        409,
        {"detail": "This delivery is being sent right now: retry once this attempt has finished"},
    )


async def test_refusals(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    hook = await endpoint_id(http, key)
    theirs = await endpoint_id(http, await make_key(await make_gerant()))
    reader = await make_key(gerant, ["webhooks:read"])
    writer = await make_key(gerant, ["webhooks:write"])
    not_found = {"detail": messages.WEBHOOK_ENDPOINT_NOT_FOUND}
    answers = [
        await http.get(f"{API}/{theirs}/deliveries", headers=headers(key)),
        await http.post(f"{API}/{theirs}/test", headers=headers(key)),
        await http.post(f"{API}/{theirs}/deliveries/evt_x/retry", headers=headers(key)),
        await http.post(f"{API}/{hook}/deliveries/evt_x/retry", headers=headers(key)),
        await http.get(f"{API}/{hook}/deliveries?starting_after=whd_x", headers=headers(key)),
        await http.get(f"{API}/{hook}/deliveries?limit=0", headers=headers(key)),
        await http.post(f"{API}/{hook}/test", headers=headers(reader)),
        await http.get(f"{API}/{hook}/deliveries", headers=headers(writer)),
    ]
    assert [(a.status_code, a.json()) for a in answers] == [
        (404, not_found),
        (404, not_found),
        (404, not_found),
        (
            404,
            {
                "detail": "No delivery of this event to this endpoint, and no event of a type "
                "it receives to deliver"
            },
        ),
        (400, {"detail": "No such delivery of this endpoint to start after"}),
        (400, {"detail": "limit: Input should be greater than or equal to 1"}),
        (403, {"detail": "Insufficient permissions. Requires 'webhooks:write'"}),
        (403, {"detail": "Insufficient permissions. Requires 'webhooks:read'"}),
    ]
    await http.put(f"{API}/{hook}", json={"status": "disabled"}, headers=headers(key))
    disabled = await http.post(f"{API}/{hook}/test", headers=headers(key))
    assert (disabled.status_code, disabled.json()) == (
        409,
        {
            "detail": "This webhook endpoint is disabled: enable it (status enabled) before "
            "sending to it"
        },
    )
    assert await WebhookDelivery.count() == 0
