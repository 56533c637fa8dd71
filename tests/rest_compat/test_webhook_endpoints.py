"""REST /webhook_endpoints against SecantusDB: shapes, status codes and messages, tenant
isolation, secrets shown once (never replayed, logged or audited). No DNS: the app's URL policy
is given a resolver of the test's own."""

import dataclasses
import json
import logging
import re
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import httpx
import pytest

from contract import messages
from infra.public_addresses import EndpointUrlPolicy
from models import AuditRecord, IdempotencyRecord, WebhookEndpoint
from models.operations import operation
from resolvers import webhooks
from rest_compat.webhook_endpoints import SECRET_EXAMPLE
from tests.support.app import app_of, services_of
from tests.support.factories import make_actor, make_gerant, make_key, make_store
from tests.support.servers import in_process_client
from tests.support.settings import settings_for

API = "/api/integrations/webhook_endpoints"
HOOK = "https://hooks.example.com/retail"
# What the test's DNS answers; any other name does not resolve.
NAMES = {"hooks.example.com": ["93.184.216.34"], "intranet.example.com": ["10.0.0.7"]}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
CREATE = {"url": HOOK, "events": ["store.created", "kpi.synced"], "description": "ERP du siège"}


async def resolve(host: str, port: int) -> Sequence[str]:
    del port
    if host not in NAMES:
        raise OSError(f"{host} does not resolve")
    return NAMES[host]


@pytest.fixture
def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app's client, its webhook URLs resolved by `resolve`."""
    app = app_of(client)
    policy = EndpointUrlPolicy(allow_private=False, resolve=resolve)
    app.state.services = dataclasses.replace(app.state.services, webhook_urls=policy)
    return client


def headers(key: str, idempotency_key: str | None = None) -> dict[str, str]:
    sent = {"X-API-Key": key}
    if idempotency_key is not None:
        sent["Idempotency-Key"] = idempotency_key
    return sent


async def created(http: httpx.AsyncClient, key: str, **body: Any) -> dict[str, Any]:
    response = await http.post(API, json={**CREATE, **body}, headers=headers(key))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def endpoint_shape(answer: dict[str, Any], **expected: Any) -> None:
    """`answer` is an endpoint as REST renders it, with the fields `expected`."""
    assert set(answer) == {"id", "url", "events", "description", "status", "created_at"}
    assert answer["id"].startswith("we_")
    assert TIMESTAMP.match(answer["created_at"])
    assert {name: answer[name] for name in expected} == expected


class TestCreate:
    async def test_the_endpoint_and_its_secret(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        answer = await created(http, key)
        assert set(answer) == {"webhook_endpoint", "secret"}
        endpoint_shape(
            answer["webhook_endpoint"],
            url=HOOK,
            events=["store.created", "kpi.synced"],
            description="ERP du siège",
            status="enabled",
        )
        assert SECRET.match(answer["secret"])
        assert SECRET.match(SECRET_EXAMPLE)  # the documented example has the real shape

    async def test_every_type_and_no_description(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        answer = await created(http, key, events=["*"], description=None)
        endpoint_shape(answer["webhook_endpoint"], events=["*"], description=None)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"url": "http://hooks.example.com/retail"}, "url: webhook endpoints must use https"),
            (
                {"url": "https://intranet.example.com/hook"},
                "url: the host must resolve to public internet addresses only",
            ),
            (
                {"url": "https://unknown.example.com/hook"},
                "url: the host must resolve to public internet addresses only",
            ),
            (
                {"url": "https://169.254.169.254/latest/meta-data"},
                "url: the host must resolve to public internet addresses only",
            ),
            ({"url": "example.com"}, "url: not a valid URL (give https:// and a host name)"),
            ({"events": ["store.moved"]}, "events: Unknown event types: store.moved"),
            ({"url": None}, "url: Input should be a valid string"),
            ({"url": "x" * 2049}, "url: String should have at most 2048 characters"),
        ],
    )
    async def test_refusals_are_400_with_the_reason(
        self, http: httpx.AsyncClient, body: dict[str, Any], message: str
    ) -> None:
        key = await make_key(await make_gerant())
        response = await http.post(API, json={**CREATE, **body}, headers=headers(key))
        assert (response.status_code, response.json()) == (400, {"detail": message})
        assert await WebhookEndpoint.count() == 0

    async def test_a_missing_field_is_400(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        response = await http.post(API, json={}, headers=headers(key))
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "url: Field required; events: Field required"},
        )

    async def test_permission_and_store_scope(self, http: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        reader = await make_key(gerant, ["webhooks:read"])
        restricted = await make_key(gerant, store_ids=[(await make_store(gerant)).id])
        refused = await http.post(API, json=CREATE, headers=headers(reader))
        scoped = await http.post(API, json=CREATE, headers=headers(restricted))
        assert (refused.status_code, refused.json()) == (
            403,
            {"detail": "Insufficient permissions. Requires 'webhooks:write'"},
        )
        assert (scoped.status_code, scoped.json()) == (
            403,
            {"detail": messages.WEBHOOKS_NEED_ALL_STORES},
        )


class TestRead:
    async def test_list_and_get(self, http: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        first = (await created(http, key))["webhook_endpoint"]
        second = (await created(http, key, events=["*"]))["webhook_endpoint"]
        await created(http, await make_key(await make_gerant()))  # another tenant's
        reader = await make_key(gerant, ["webhooks:read"])
        listed = await http.get(API, headers=headers(reader))
        one = await http.get(f"{API}/{second['id']}", headers=headers(reader))
        assert (listed.status_code, listed.json()) == (200, {"webhook_endpoints": [first, second]})
        assert (one.status_code, one.json()) == (200, {"webhook_endpoint": second})

    async def test_without_webhooks_read(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant(), ["stores:read"])
        response = await http.get(API, headers=headers(key))
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "Insufficient permissions. Requires 'webhooks:read'"},
        )

    async def test_another_tenant_endpoint_is_404_everywhere(self, http: httpx.AsyncClient) -> None:
        theirs = (await created(http, await make_key(await make_gerant())))["webhook_endpoint"]
        key = await make_key(await make_gerant())
        path = f"{API}/{theirs['id']}"
        answers = [
            await http.get(path, headers=headers(key)),
            await http.put(path, json={"status": "disabled"}, headers=headers(key)),
            await http.delete(path, headers=headers(key)),
            await http.post(f"{path}/rotate_secret", headers=headers(key)),
            await http.get(f"{API}/we_unknown", headers=headers(key)),
        ]
        assert [(a.status_code, a.json()) for a in answers] == [
            (404, {"detail": "Webhook endpoint not found"})
        ] * 5
        stored = await WebhookEndpoint.get(theirs["id"])
        assert stored is not None
        assert stored.status == "enabled"


class TestUpdate:
    async def test_partial(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        endpoint = (await created(http, key))["webhook_endpoint"]
        path = f"{API}/{endpoint['id']}"
        disabled = await http.put(path, json={"status": "disabled"}, headers=headers(key))
        moved = await http.put(
            path,
            json={"url": "https://hooks.example.com/v2", "events": ["*"], "description": None},
            headers=headers(key),
        )
        assert (disabled.status_code, disabled.json()) == (
            200,
            {"webhook_endpoint": {**endpoint, "status": "disabled"}},
        )
        assert moved.json() == {
            "webhook_endpoint": {
                **endpoint,
                "status": "disabled",
                "url": "https://hooks.example.com/v2",
                "events": ["*"],
                "description": None,
            }
        }

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "No fields to update"),
            ({"unknown": 1}, "No fields to update"),
            ({"url": "https://intranet.example.com/x"}, messages.WEBHOOK_URL_NOT_PUBLIC),
            ({"url": "http://hooks.example.com/x"}, messages.WEBHOOK_URL_NOT_HTTPS),
            ({"events": []}, "events: List should have at least 1 item after validation, not 0"),
            ({"status": "paused"}, "status: Input should be 'enabled' or 'disabled'"),
            ({"status": None}, "status: Field cannot be null"),
        ],
    )
    async def test_refusals(
        self, http: httpx.AsyncClient, body: dict[str, Any], message: str
    ) -> None:
        key = await make_key(await make_gerant())
        endpoint = (await created(http, key))["webhook_endpoint"]
        path = f"{API}/{endpoint['id']}"
        response = await http.put(path, json=body, headers=headers(key))
        assert (response.status_code, response.json()) == (400, {"detail": message})
        unchanged = await http.get(path, headers=headers(key))
        assert unchanged.json() == {"webhook_endpoint": endpoint}


class TestDelete:
    async def test_as_the_other_deletes_answer(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        endpoint = (await created(http, key))["webhook_endpoint"]
        path = f"{API}/{endpoint['id']}"
        deleted = await http.delete(path, headers=headers(key))
        again = await http.delete(path, headers=headers(key))
        assert (deleted.status_code, deleted.json()) == (
            200,
            {"success": True, "message": "Endpoint de webhook supprimé avec succès"},
        )
        assert (again.status_code, again.json()) == (
            404,
            {"detail": "Webhook endpoint not found"},
        )
        assert (await http.get(API, headers=headers(key))).json() == {"webhook_endpoints": []}


class TestRotation:
    async def test_a_new_secret_beside_the_former(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        first = await created(http, key)
        endpoint = first["webhook_endpoint"]
        response = await http.post(f"{API}/{endpoint['id']}/rotate_secret", headers=headers(key))
        assert response.status_code == 200
        rotated = response.json()
        assert rotated["webhook_endpoint"] == endpoint
        assert SECRET.match(rotated["secret"])
        assert rotated["secret"] != first["secret"]
        stored = await WebhookEndpoint.get(endpoint["id"])
        assert stored is not None
        assert (stored.secret, stored.previous_secret) == (rotated["secret"], first["secret"])


class TestSecretsShownOnce:
    async def test_a_replayed_creation_answers_410_without_the_secret(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await make_key(await make_gerant())
        first = await http.post(API, json=CREATE, headers=headers(key, "hook-1"))
        again = await http.post(API, json=CREATE, headers=headers(key, "hook-1"))
        made = first.json()
        assert first.status_code == 200
        assert "idempotent-replayed" not in first.headers
        assert (again.status_code, again.json(), again.headers["idempotent-replayed"]) == (
            410,
            {
                "detail": f"The signing secret of webhook endpoint {made['webhook_endpoint']['id']}"
                " is shown only once and is not replayed: rotate it (rotate_secret) if it was lost"
            },
            "true",
        )
        assert await WebhookEndpoint.count() == 1
        [record] = await IdempotencyRecord.find_all().to_list()
        assert record.response is not None
        assert made["secret"].encode() not in record.response.body

    async def test_a_replayed_rotation_answers_410(self, http: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        endpoint = (await created(http, key))["webhook_endpoint"]
        path = f"{API}/{endpoint['id']}/rotate_secret"
        first = await http.post(path, headers=headers(key, "rotate-1"))
        again = await http.post(path, headers=headers(key, "rotate-1"))
        assert first.status_code == 200
        assert (again.status_code, again.json()) == (
            410,
            {"detail": messages.WEBHOOK_SECRET_NOT_REPLAYED.format(id=endpoint["id"])},
        )
        stored = await WebhookEndpoint.get(endpoint["id"])
        assert stored is not None
        assert stored.secret == first.json()["secret"]  # rotated once

    async def test_never_in_the_logs_nor_the_audit(
        self, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        key = await make_key(await make_gerant())
        with caplog.at_level(logging.DEBUG):
            made = await created(http, key)
            endpoint_id = made["webhook_endpoint"]["id"]
            rotated = await http.post(f"{API}/{endpoint_id}/rotate_secret", headers=headers(key))
            await http.get(f"{API}/{endpoint_id}", headers=headers(key))
            await services_of(http).audit.flush()
        shown = [made["secret"], rotated.json()["secret"]]
        records = [record.model_dump_json() for record in await AuditRecord.find_all().to_list()]
        assert len(records) == 3
        # Every logger of ours, at every level. The driver's own command log (pymongo, DEBUG)
        # shows each document written, password hashes and key hashes alike: off unless
        # RPAI_LOG_LEVEL=DEBUG.
        logged = [
            f"{record.getMessage()} {json.dumps(record.__dict__, default=str)}"
            for record in caplog.records
            if not record.name.startswith("pymongo")
        ]
        assert len(logged) > 3
        written = "".join(records + logged)
        assert [secret for secret in shown if secret in written] == []


class TestRetriedOperation:
    """What the unique operation index makes of a retry whose first answer was lost."""

    async def test_a_creation_finds_its_endpoint_and_secret(
        self, client: httpx.AsyncClient
    ) -> None:
        del client  # Beanie on the app's SecantusDB database, with its unique indexes
        actor = await make_actor(await make_gerant())
        data = webhooks.WebhookEndpointCreate.model_validate(CREATE)
        policy = EndpointUrlPolicy(allow_private=False, resolve=resolve)
        with operation("op-1"):
            first = await webhooks.create_webhook_endpoint(actor=actor, data=data, urls=policy)
        with operation("op-1"):
            again = await webhooks.create_webhook_endpoint(actor=actor, data=data, urls=policy)
        assert (again.endpoint.id, again.secret) == (first.endpoint.id, first.secret)
        assert await WebhookEndpoint.count() == 1


async def test_allow_private_lets_a_local_receiver_in(secantus_uri: str) -> None:
    settings = settings_for(f"{secantus_uri}test_{uuid4().hex}", webhook_allow_private=True)
    async with in_process_client(settings) as http:
        key = await make_key(await make_gerant())
        answer = await created(http, key, url="http://127.0.0.1:8025/hook")
        assert answer["webhook_endpoint"]["url"] == "http://127.0.0.1:8025/hook"
