"""Webhook endpoint rules: URLs refused unless https at public addresses (no DNS here: each test
gives its own resolver), event types, the secret's rotation and overlap, tenant isolation."""

from collections.abc import Sequence
from datetime import timedelta

import pytest

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Conflict, Forbidden, NotFound
from contract.event_types import EVENT_TYPES
from contract.validation import parse
from infra.public_addresses import EndpointUrlPolicy, Resolver
from models import WebhookEndpoint, WebhookEndpointStatus
from models.clock import utcnow
from models.operations import operation
from resolvers import webhooks
from resolvers.webhooks import (
    MAX_ENDPOINTS_PER_TENANT,
    SECRET_OVERLAP,
    EndpointWithSecret,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)
from tests.support.factories import make_actor, make_gerant, make_store

pytestmark = pytest.mark.usefixtures("mock_db")

PUBLIC = "93.184.216.34"
HOOK = "https://hooks.example.com/retail"


def answering(*addresses: str) -> Resolver:
    """A resolver that gives `addresses` for every name, as DNS would."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        del host, port
        return addresses

    return resolve


async def unresolvable(host: str, port: int) -> Sequence[str]:
    raise OSError(f"{host}:{port} does not resolve")


PUBLIC_DNS = EndpointUrlPolicy(allow_private=False, resolve=answering(PUBLIC))


async def create(
    actor: Actor, urls: EndpointUrlPolicy = PUBLIC_DNS, **data: object
) -> EndpointWithSecret:
    """Create an endpoint from raw input, validated as the transports do."""
    body = {"url": HOOK, "events": ["store.created"], **data}
    return await webhooks.create_webhook_endpoint(
        actor=actor, data=parse(WebhookEndpointCreate, body), urls=urls
    )


async def refusal(actor: Actor, url: str, urls: EndpointUrlPolicy) -> str:
    with pytest.raises(BadRequest) as refused:
        await create(actor, urls, url=url)
    return refused.value.message


class TestCreate:
    async def test_an_enabled_endpoint_with_its_own_secret(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor, events=["kpi.synced", "store.created"], description="ERP")
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert stored.id.startswith("we_")
        assert (stored.gerant_id, stored.url, stored.description) == (actor.gerant_id, HOOK, "ERP")
        assert stored.events == ["store.created", "kpi.synced"]  # the contract's order
        assert stored.status is WebhookEndpointStatus.ENABLED
        assert created.secret.startswith("whsec_")
        assert stored.secret == created.secret  # kept as is: Standard Webhooks signs with it
        assert created.secret not in repr(stored)
        assert created.secret not in repr(created)
        other = await create(actor)
        assert other.secret != created.secret

    @pytest.mark.parametrize(
        ("resolved", "url"),
        [
            ((), "https://127.0.0.1/hook"),
            ((), "https://[::1]/hook"),
            ((), "https://10.1.2.3/hook"),
            (("127.0.0.1",), HOOK),
            (("10.0.0.7",), HOOK),
            (("172.16.5.4",), HOOK),
            (("192.168.1.10",), HOOK),
            (("169.254.169.254",), HOOK),  # cloud metadata
            (("100.64.0.1",), HOOK),  # shared address space (CGNAT)
            (("0.0.0.0",), HOOK),
            (("224.0.0.1",), HOOK),
            (("::1",), HOOK),
            (("fd00::1",), HOOK),
            (("fe80::1",), HOOK),
            (("::ffff:10.0.0.1",), HOOK),
            ((PUBLIC, "10.0.0.7"), HOOK),  # one private answer among public ones
        ],
    )
    async def test_a_host_not_only_at_public_addresses_is_refused(
        self, resolved: tuple[str, ...], url: str
    ) -> None:
        actor = await make_actor(await make_gerant())
        urls = EndpointUrlPolicy(allow_private=False, resolve=answering(*resolved))
        assert await refusal(actor, url, urls) == messages.WEBHOOK_URL_NOT_PUBLIC
        assert await WebhookEndpoint.count() == 0

    async def test_an_unresolvable_host_reads_as_a_private_one(self) -> None:
        actor = await make_actor(await make_gerant())
        urls = EndpointUrlPolicy(allow_private=False, resolve=unresolvable)
        assert await refusal(actor, HOOK, urls) == messages.WEBHOOK_URL_NOT_PUBLIC
        assert messages.WEBHOOK_URL_NOT_PUBLIC == (
            "url: the host must resolve to public internet addresses only"
        )

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("http://hooks.example.com/retail", messages.WEBHOOK_URL_NOT_HTTPS),
            ("ftp://hooks.example.com/retail", messages.WEBHOOK_URL_NOT_HTTPS),
            ("hooks.example.com/retail", messages.WEBHOOK_URL_MALFORMED),
            ("https:///retail", messages.WEBHOOK_URL_MALFORMED),
        ],
    )
    async def test_only_https_urls(self, url: str, message: str) -> None:
        actor = await make_actor(await make_gerant())
        assert await refusal(actor, url, PUBLIC_DNS) == message

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:8025/hook", "https://10.0.0.7/hook", "http://localhost/hook"]
    )
    async def test_allow_private_lets_them_through(self, url: str) -> None:
        actor = await make_actor(await make_gerant())
        urls = EndpointUrlPolicy(allow_private=True, resolve=answering("127.0.0.1"))
        created = await create(actor, urls, url=url)
        assert created.endpoint.url == url

    @pytest.mark.parametrize(
        ("events", "message"),
        [
            (["store.created", "store.exploded"], "events: Unknown event types: store.exploded"),
            (["ping"], "events: Unknown event types: ping"),
            ([], "events: List should have at least 1 item after validation, not 0"),
            (None, "events: Input should be a valid list"),
        ],
    )
    def test_event_types_are_the_known_ones(self, events: object, message: str) -> None:
        with pytest.raises(BadRequest) as refused:
            parse(WebhookEndpointCreate, {"url": HOOK, "events": events})
        assert refused.value.message == message

    def test_the_wildcard_stands_alone_and_types_come_once(self) -> None:
        def events(given: list[str]) -> list[str]:
            return parse(WebhookEndpointCreate, {"url": HOOK, "events": given}).events

        assert events(["store.created", "*"]) == ["*"]
        assert events(["kpi.synced", "store.created", "kpi.synced"]) == [
            "store.created",
            "kpi.synced",
        ]
        assert events(list(reversed(EVENT_TYPES))) == list(EVENT_TYPES)

    async def test_a_tenant_holds_a_bounded_number(self) -> None:
        actor = await make_actor(await make_gerant())
        for _ in range(MAX_ENDPOINTS_PER_TENANT):
            await create(actor)
        with pytest.raises(BadRequest) as refused:
            await create(actor)
        assert refused.value.message == (
            "A tenant has at most 20 webhook endpoints: delete one first"
        )
        await create(await make_actor(await make_gerant()))  # another tenant's count


class TestAccess:
    async def test_permissions(self) -> None:
        gerant = await make_gerant()
        reader = await make_actor(gerant, ["webhooks:read"])
        stranger = await make_actor(gerant, ["stores:read"])
        with pytest.raises(Forbidden) as refused:
            await create(reader)
        assert refused.value.message == "Insufficient permissions. Requires 'webhooks:write'"
        with pytest.raises(Forbidden) as refused:
            await webhooks.list_webhook_endpoints(actor=stranger)
        assert refused.value.message == "Insufficient permissions. Requires 'webhooks:read'"
        assert await webhooks.list_webhook_endpoints(actor=reader) == []

    async def test_a_store_restricted_key_cannot_manage_them(self) -> None:
        gerant = await make_gerant()
        restricted = await make_actor(gerant, store_ids=[(await make_store(gerant)).id])
        for attempt in (create(restricted), webhooks.list_webhook_endpoints(actor=restricted)):
            with pytest.raises(Forbidden) as refused:
                await attempt
            assert refused.value.message == messages.WEBHOOKS_NEED_ALL_STORES

    async def test_another_tenant_endpoint_is_unknown(self) -> None:
        mine = await make_actor(await make_gerant())
        theirs = await create(await make_actor(await make_gerant()))
        endpoint_id = theirs.endpoint.id
        update = parse(WebhookEndpointUpdate, {"status": "disabled"})
        attempts = [
            webhooks.get_webhook_endpoint(actor=mine, endpoint_id=endpoint_id),
            webhooks.update_webhook_endpoint(
                actor=mine, endpoint_id=endpoint_id, data=update, urls=PUBLIC_DNS
            ),
            webhooks.delete_webhook_endpoint(actor=mine, endpoint_id=endpoint_id),
            webhooks.rotate_webhook_secret(actor=mine, endpoint_id=endpoint_id),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound) as refused:
                await attempt
            assert refused.value.message == "Webhook endpoint not found"
        assert await webhooks.list_webhook_endpoints(actor=mine) == []
        assert await WebhookEndpoint.get(endpoint_id) == theirs.endpoint


class TestUpdate:
    async def test_only_the_fields_given(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor, description="ERP")
        data = parse(WebhookEndpointUpdate, {"status": "disabled", "events": ["*"]})
        updated = await webhooks.update_webhook_endpoint(
            actor=actor, endpoint_id=created.endpoint.id, data=data, urls=PUBLIC_DNS
        )
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert (stored.status, stored.events, stored.description, stored.url) == (
            WebhookEndpointStatus.DISABLED,
            ["*"],
            "ERP",
            HOOK,
        )
        assert stored.updated_at >= stored.created_at
        assert (updated.status, updated.events) == (stored.status, stored.events)
        cleared = parse(WebhookEndpointUpdate, {"description": None})
        await webhooks.update_webhook_endpoint(
            actor=actor, endpoint_id=created.endpoint.id, data=cleared, urls=PUBLIC_DNS
        )
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert stored.description is None

    async def test_a_new_url_is_checked_again(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        private = EndpointUrlPolicy(allow_private=False, resolve=answering("10.0.0.7"))
        data = parse(WebhookEndpointUpdate, {"url": "https://moved.example.com/hook"})
        with pytest.raises(BadRequest) as refused:
            await webhooks.update_webhook_endpoint(
                actor=actor, endpoint_id=created.endpoint.id, data=data, urls=private
            )
        assert refused.value.message == messages.WEBHOOK_URL_NOT_PUBLIC
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert stored.url == HOOK

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "No fields to update"),
            ({"url": None}, "url: Field cannot be null"),
            ({"events": None}, "events: Field cannot be null"),
            ({"status": None}, "status: Field cannot be null"),
            ({"status": "paused"}, "status: Input should be 'enabled' or 'disabled'"),
        ],
    )
    async def test_refusals(self, body: dict[str, object], message: str) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor)

        async def update() -> None:
            data = parse(WebhookEndpointUpdate, body)
            await webhooks.update_webhook_endpoint(
                actor=actor, endpoint_id=created.endpoint.id, data=data, urls=PUBLIC_DNS
            )

        with pytest.raises(BadRequest) as refused:
            await update()
        assert refused.value.message == message


class TestDelete:
    async def test_gone_then_unknown(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        message = await webhooks.delete_webhook_endpoint(
            actor=actor, endpoint_id=created.endpoint.id
        )
        assert message == "Endpoint de webhook supprimé avec succès"
        assert await WebhookEndpoint.count() == 0
        with pytest.raises(NotFound):
            await webhooks.delete_webhook_endpoint(actor=actor, endpoint_id=created.endpoint.id)


class TestRotation:
    async def test_the_former_secret_signs_for_24_hours_more(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        before = utcnow()
        rotated = await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=created.endpoint.id)
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert rotated.secret != created.secret
        assert (stored.secret, stored.previous_secret) == (rotated.secret, created.secret)
        assert stored.previous_secret_expires_at is not None
        overlap = stored.previous_secret_expires_at - before
        assert SECRET_OVERLAP <= overlap < SECRET_OVERLAP + timedelta(minutes=1)
        assert SECRET_OVERLAP == timedelta(hours=24)
        end = stored.previous_secret_expires_at
        assert stored.signing_secrets(end - timedelta(seconds=1)) == [
            rotated.secret,
            created.secret,
        ]
        assert stored.signing_secrets(end) == [rotated.secret]

    async def test_a_second_rotation_ends_the_oldest_secret(self) -> None:
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        first = await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=created.endpoint.id)
        second = await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=created.endpoint.id)
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert stored.signing_secrets(utcnow()) == [second.secret, first.secret]

    async def test_a_retried_rotation_shows_its_own_secret_and_keeps_the_known_one(self) -> None:
        """The answer of an attempt can be lost after its write: the retry (same operation)
        must not rotate again, which would drop the secret receivers know."""
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        with operation("rotate-1"):
            first = await webhooks.rotate_webhook_secret(
                actor=actor, endpoint_id=created.endpoint.id
            )
        with operation("rotate-1"):
            again = await webhooks.rotate_webhook_secret(
                actor=actor, endpoint_id=created.endpoint.id
            )
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert again.secret == first.secret
        assert stored.previous_secret == created.secret

    async def test_of_two_rotations_at_once_one_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A rotation that read the endpoint before another one wrote would replace the
        secret the other just showed: it is refused instead."""
        actor = await make_actor(await make_gerant())
        created = await create(actor)
        stale = await WebhookEndpoint.get(created.endpoint.id)
        won = await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=created.endpoint.id)

        async def read_before_the_other(actor: Actor, endpoint_id: str) -> WebhookEndpoint:
            del actor, endpoint_id
            assert stale is not None
            return stale

        monkeypatch.setattr(webhooks, "_tenant_endpoint", read_before_the_other)
        with pytest.raises(Conflict) as refused:
            await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=created.endpoint.id)
        assert refused.value.message == messages.WEBHOOK_SECRET_ROTATING
        stored = await WebhookEndpoint.get(created.endpoint.id)
        assert stored is not None
        assert (stored.secret, stored.previous_secret) == (won.secret, created.secret)
