"""Webhook endpoints over GraphQL: the same rules and messages as REST, the secret shown once
(a replay answers SECRET_NOT_REPLAYED in its place), for API keys and the gérant's session."""

import dataclasses
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract import messages
from infra.public_addresses import EndpointUrlPolicy
from infra.tokens import TokenSigner
from models import IdempotencyRecord, WebhookEndpoint
from tests.support.app import app_of
from tests.support.factories import make_gerant, make_key
from tests.support.logins import error_of, gql
from tests.support.settings import TEST_JWT_SECRET

HOOK = "https://hooks.example.com/retail"
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
FIELDS = "id url events description status createdAt"
CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{
  created: createWebhookEndpoint(input: $input) {{ secret webhookEndpoint {{ {FIELDS} }} }}
}}"""
LIST = f"{{ webhookEndpoints {{ {FIELDS} }} }}"
GET = f"query($id: ID!) {{ webhookEndpoint(id: $id) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(id: $id, input: $input) {{ {FIELDS} }}
}}"""
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { success message } }"
ROTATE = """mutation($id: ID!) {
  rotateWebhookEndpointSecret(id: $id) { secret webhookEndpoint { id } }
}"""


async def resolve(host: str, port: int) -> Sequence[str]:
    del port
    if host != "hooks.example.com":
        raise OSError(f"{host} does not resolve")
    return ["93.184.216.34"]


@pytest.fixture
def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app's client, its webhook URLs resolved by `resolve` (no DNS in tests)."""
    app = app_of(client)
    policy = EndpointUrlPolicy(allow_private=False, resolve=resolve)
    app.state.services = dataclasses.replace(app.state.services, webhook_urls=policy)
    return client


async def as_key(
    http: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await gql(http, query, variables, headers={"X-API-Key": key})


async def create(http: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    given = {"url": HOOK, "events": ["store.created"], **fields}
    body = await as_key(http, key, CREATE, {"input": given})
    created: dict[str, Any] = body["data"]["created"]
    return created


async def test_the_lifecycle(http: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    created = await create(http, key, events=["kpi.synced", "*"], description="ERP")
    endpoint = created["webhookEndpoint"]
    assert SECRET.match(created["secret"])
    assert endpoint == {
        "id": endpoint["id"],
        "url": HOOK,
        "events": ["*"],
        "description": "ERP",
        "status": "ENABLED",
        "createdAt": endpoint["createdAt"],
    }
    assert endpoint["id"].startswith("we_")
    listed = await as_key(http, key, LIST)
    one = await as_key(http, key, GET, {"id": endpoint["id"]})
    assert listed["data"] == {"webhookEndpoints": [endpoint]}
    assert one["data"] == {"webhookEndpoint": endpoint}
    updated = await as_key(
        http, key, UPDATE, {"id": endpoint["id"], "input": {"status": "DISABLED"}}
    )
    assert updated["data"] == {"updateWebhookEndpoint": {**endpoint, "status": "DISABLED"}}
    rotated = await as_key(http, key, ROTATE, {"id": endpoint["id"]})
    secret = rotated["data"]["rotateWebhookEndpointSecret"]["secret"]
    assert SECRET.match(secret)
    assert secret != created["secret"]
    stored = await WebhookEndpoint.get(endpoint["id"])
    assert stored is not None
    assert (stored.secret, stored.previous_secret) == (secret, created["secret"])
    deleted = await as_key(http, key, DELETE, {"id": endpoint["id"]})
    assert deleted["data"] == {
        "deleteWebhookEndpoint": {
            "success": True,
            "message": "Endpoint de webhook supprimé avec succès",
        }
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "http://hooks.example.com/x"}, "url: webhook endpoints must use https"),
        ({"url": "https://intranet.local/x"}, messages.WEBHOOK_URL_NOT_PUBLIC),
        ({"url": "https://[fd00::1]/x"}, messages.WEBHOOK_URL_NOT_PUBLIC),
        ({"events": ["nope"]}, "events: Unknown event types: nope"),
    ],
)
async def test_refusals_are_bad_requests(
    http: httpx.AsyncClient, fields: dict[str, Any], message: str
) -> None:
    key = await make_key(await make_gerant())
    given = {"url": HOOK, "events": ["store.created"], **fields}
    body = await as_key(http, key, CREATE, {"input": given})
    assert body["data"] is None
    assert error_of(body) == ("BAD_REQUEST", message)
    assert body["errors"][0]["extensions"]["status"] == 400


async def test_permissions_and_tenants(http: httpx.AsyncClient) -> None:
    theirs = (await create(http, await make_key(await make_gerant())))["webhookEndpoint"]
    gerant = await make_gerant()
    reader = await make_key(gerant, ["webhooks:read"])
    stranger = await make_key(gerant, ["stores:read"])
    refused = await as_key(http, reader, CREATE, {"input": {"url": HOOK, "events": ["*"]}})
    unlisted = await as_key(http, stranger, LIST)
    unknown = await as_key(http, reader, GET, {"id": theirs["id"]})
    rotation = await as_key(http, await make_key(gerant), ROTATE, {"id": theirs["id"]})
    assert error_of(refused) == (
        "FORBIDDEN",
        "Insufficient permissions. Requires 'webhooks:write'",
    )
    assert error_of(unlisted) == ("FORBIDDEN", "Insufficient permissions. Requires 'webhooks:read'")
    assert (unknown["data"], error_of(unknown)) == (
        {"webhookEndpoint": None},
        ("NOT_FOUND", "Webhook endpoint not found"),
    )
    assert error_of(rotation) == ("NOT_FOUND", "Webhook endpoint not found")
    assert (await as_key(http, reader, LIST))["data"] == {"webhookEndpoints": []}


async def test_a_gerant_session_manages_them(http: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(gerant).token
    variables = {"input": {"url": HOOK, "events": ["store.created"]}}
    body = await gql(http, CREATE, variables, token=token)
    assert SECRET.match(body["data"]["created"]["secret"])
    listed = await gql(http, LIST, token=token)
    assert [e["id"] for e in listed["data"]["webhookEndpoints"]] == [
        body["data"]["created"]["webhookEndpoint"]["id"]
    ]


async def test_a_replay_does_not_show_the_secret(http: httpx.AsyncClient) -> None:
    key = await make_key(await make_gerant())
    payload = {"query": CREATE, "variables": {"input": {"url": HOOK, "events": ["*"]}}}
    sent = {"X-API-Key": key, "Idempotency-Key": "hook-1"}
    first = await http.post("/graphql", json=payload, headers=sent)
    again = await http.post("/graphql", json=payload, headers=sent)
    created = first.json()["data"]["created"]
    endpoint_id = created["webhookEndpoint"]["id"]
    [record] = await IdempotencyRecord.find_all().to_list()
    assert record.response is not None
    assert created["secret"].encode() not in record.response.body
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.json()["data"], again.json()["errors"]) == (
        None,
        [
            {
                "message": messages.WEBHOOK_SECRET_NOT_REPLAYED.format(id=endpoint_id),
                "path": ["created", "secret"],
                "extensions": {"code": "SECRET_NOT_REPLAYED", "status": 410},
            }
        ],
    )
    assert await WebhookEndpoint.count() == 1
