"""An endpoint's deliveries over GraphQL: the `deliveries` connection, testWebhookEndpoint and
retryWebhookDelivery, with REST's rules and messages."""

import dataclasses
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
from tests.support.factories import make_gerant, make_key
from tests.support.logins import error_of, gql

DELIVERY = "id eventId eventType status nextAttemptAt createdAt attempts { attempt statusCode }"
CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } }
}"""
PING = f"mutation($id: ID!) {{ testWebhookEndpoint(id: $id) {{ {DELIVERY} }} }}"
RETRY = f"""mutation($endpoint: ID!, $event: ID!) {{
  retryWebhookDelivery(endpointId: $endpoint, eventId: $event) {{ {DELIVERY} }}
}}"""
LIST = f"""query($id: ID!, $first: Int!, $after: String) {{
  webhookEndpoint(id: $id) {{
    deliveries(first: $first, after: $after) {{
      edges {{ cursor node {{ {DELIVERY} }} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""


async def resolve(host: str, port: int) -> Sequence[str]:
    del host, port
    return ["93.184.216.34"]


@pytest.fixture
def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    app = app_of(client)
    policy = EndpointUrlPolicy(allow_private=False, resolve=resolve)
    app.state.services = dataclasses.replace(app.state.services, webhook_urls=policy)
    return client


async def as_key(
    http: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    return await gql(http, query, variables, headers={"X-API-Key": key})


async def test_ping_list_and_retry(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    given = {"url": "https://hooks.example.com/x", "events": ["*"]}
    created = await as_key(http, key, CREATE, {"input": given})
    hook = created["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"]

    ping = (await as_key(http, key, PING, {"id": hook}))["data"]["testWebhookEndpoint"]
    assert (ping["eventType"], ping["status"], ping["attempts"]) == ("ping", "PENDING", [])
    assert ping["nextAttemptAt"] is not None
    now = utcnow()
    event = Event(
        gerant_id=gerant.id,
        type="user.created",
        created_at=now,
        data={"object": {}},
        expires_at=now + timedelta(days=30),
    )
    await event.insert()
    retried = await as_key(http, key, RETRY, {"endpoint": hook, "event": event.id})
    made = retried["data"]["retryWebhookDelivery"]
    assert (made["eventId"], made["eventType"], made["status"]) == (
        event.id,
        "user.created",
        "PENDING",
    )

    first = await as_key(http, key, LIST, {"id": hook, "first": 1})
    page = first["data"]["webhookEndpoint"]["deliveries"]
    assert [edge["node"] for edge in page["edges"]] == [made]
    assert page["pageInfo"]["hasNextPage"] is True
    after = {"id": hook, "first": 10, "after": page["pageInfo"]["endCursor"]}
    rest = (await as_key(http, key, LIST, after))["data"]["webhookEndpoint"]["deliveries"]
    assert [edge["node"] for edge in rest["edges"]] == [ping]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_errors_carry_rest_messages(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    given = {"url": "https://hooks.example.com/x", "events": ["*"]}
    created = await as_key(http, key, CREATE, {"input": given})
    hook = created["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    ping = (await as_key(http, key, PING, {"id": hook}))["data"]["testWebhookEndpoint"]
    await WebhookDelivery.get_motor_collection().update_one(
        {"_id": ping["id"]},
        {
            "$set": {
                "status": DeliveryStatus.SENDING.value,
                "next_attempt_at": utcnow() + timedelta(minutes=1),
            }
        },
    )
    busy = await as_key(http, key, RETRY, {"endpoint": hook, "event": ping["eventId"]})
    unknown = await as_key(http, key, RETRY, {"endpoint": hook, "event": "evt_x"})
    other = await make_key(await make_gerant())
    theirs = await as_key(http, other, PING, {"id": hook})
    assert error_of(busy) == ("CONFLICT", messages.WEBHOOK_DELIVERY_SENDING)
    assert error_of(unknown) == ("NOT_FOUND", messages.WEBHOOK_DELIVERY_NOT_FOUND)
    assert error_of(theirs) == ("NOT_FOUND", messages.WEBHOOK_ENDPOINT_NOT_FOUND)
