"""An endpoint's deliveries as the gérant sees and drives them: the list (newest first, a page
at a time), a retry (reset to pending, or made for an event never delivered), a test ping (one
delivery to one endpoint, out of the feed). Nothing is sent here: the workers send."""

from datetime import timedelta

import pytest

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Conflict, Forbidden, NotFound
from contract.event_types import PING
from contract.representations import event_json
from contract.validation import parse
from infra.event_log import EventLog
from infra.public_addresses import EndpointUrlPolicy
from models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from models.clock import utcnow
from models.webhook_delivery import DeliveryAttemptRecord
from resolvers import event_feed, webhooks
from resolvers.webhooks import WebhookEndpointCreate, WebhookEndpointUpdate
from tests.support.events import feed_actor
from tests.support.factories import make_actor, make_gerant, make_store

pytestmark = pytest.mark.usefixtures("mock_db")

URLS = EndpointUrlPolicy(allow_private=True)
KEPT = timedelta(days=30)


async def endpoint_of(actor: Actor, events: list[str] | None = None) -> WebhookEndpoint:
    data = parse(
        WebhookEndpointCreate,
        {"url": "http://127.0.0.1:9/hook", "events": events or ["store.created"]},
    )
    created = await webhooks.create_webhook_endpoint(actor=actor, data=data, urls=URLS)
    return created.endpoint


async def event_of(actor: Actor, type: str = "store.created") -> Event:
    now = utcnow()
    event = Event(
        gerant_id=actor.gerant_id,
        type=type,
        created_at=now,
        data={"object": {"id": "store-1"}},
        expires_at=now + KEPT,
    )
    await event.insert()
    return event


async def delivery_of(
    endpoint: WebhookEndpoint,
    event: Event,
    attempts: tuple[DeliveryAttemptRecord, ...] = (),
    **fields: object,
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        gerant_id=endpoint.gerant_id,
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=event.type,
        expires_at=event.expires_at,
        **fields,
    )
    await delivery.insert()
    # As plain documents: Beanie 1.30's encoder reads `model_fields` on a nested model's
    # instance, which Pydantic 2.11 deprecates (an error under this suite's warning filter).
    await WebhookDelivery.get_motor_collection().update_one(
        {"_id": delivery.id}, {"$set": {"attempts": [a.model_dump() for a in attempts]}}
    )
    return delivery


def failed_attempt(number: int) -> DeliveryAttemptRecord:
    return DeliveryAttemptRecord(
        attempt=number, at=utcnow(), status_code=500, duration_ms=12, error="HTTP 500"
    )


class TestList:
    async def test_newest_first_a_page_at_a_time(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        start = utcnow()
        made = [
            await delivery_of(
                endpoint, await event_of(actor), created_at=start + timedelta(seconds=n)
            )
            for n in range(5)
        ]
        newest = [d.id for d in reversed(made)]
        first = await webhooks.list_webhook_deliveries(
            actor=actor, endpoint_id=endpoint.id, limit=2, starting_after=None
        )
        assert ([d.id for d in first.items], first.has_next_page) == (newest[:2], True)
        rest = await webhooks.list_webhook_deliveries(
            actor=actor, endpoint_id=endpoint.id, limit=10, starting_after=first.items[-1].id
        )
        assert ([d.id for d in rest.items], rest.has_next_page) == (newest[2:], False)

    async def test_only_this_endpoints_and_tenants(self) -> None:
        actor = await make_actor(await make_gerant())
        other = await make_actor(await make_gerant())
        endpoint, second = await endpoint_of(actor), await endpoint_of(actor)
        theirs = await endpoint_of(other)
        mine = await delivery_of(endpoint, await event_of(actor))
        await delivery_of(second, await event_of(actor))
        found = await webhooks.list_webhook_deliveries(
            actor=actor, endpoint_id=endpoint.id, limit=10, starting_after=None
        )
        assert [d.id for d in found.items] == [mine.id]
        with pytest.raises(NotFound) as refused:
            await webhooks.list_webhook_deliveries(
                actor=actor, endpoint_id=theirs.id, limit=10, starting_after=None
            )
        assert refused.value.message == messages.WEBHOOK_ENDPOINT_NOT_FOUND

    async def test_a_cursor_of_another_endpoint_is_400(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint, second = await endpoint_of(actor), await endpoint_of(actor)
        elsewhere = await delivery_of(second, await event_of(actor))
        with pytest.raises(BadRequest) as refused:
            await webhooks.list_webhook_deliveries(
                actor=actor, endpoint_id=endpoint.id, limit=10, starting_after=elsewhere.id
            )
        assert refused.value.message == messages.WEBHOOK_DELIVERY_CURSOR_UNKNOWN

    async def test_permission_and_store_scope(self) -> None:
        gerant = await make_gerant()
        endpoint = await endpoint_of(await make_actor(gerant))
        writer = await make_actor(gerant, ["webhooks:write"])
        restricted = await make_actor(gerant, store_ids=[(await make_store(gerant)).id])
        for actor in (writer, restricted):
            with pytest.raises(Forbidden):
                await webhooks.list_webhook_deliveries(
                    actor=actor, endpoint_id=endpoint.id, limit=10, starting_after=None
                )


class TestRetry:
    async def test_a_failed_delivery_is_pending_again_with_its_attempts(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        attempts = (failed_attempt(1), failed_attempt(2))
        delivery = await delivery_of(
            endpoint,
            await event_of(actor),
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            next_attempt_at=None,
        )
        before = utcnow()
        retried = await webhooks.retry_webhook_delivery(
            actor=actor, endpoint_id=endpoint.id, event_id=delivery.event_id
        )
        stored = await WebhookDelivery.get(delivery.id)
        assert stored is not None
        assert (retried.id, retried.status) == (delivery.id, DeliveryStatus.PENDING)
        assert stored.status is DeliveryStatus.PENDING
        assert stored.next_attempt_at is not None
        assert before - timedelta(seconds=1) <= stored.next_attempt_at <= utcnow()
        assert [a.attempt for a in stored.attempts] == [1, 2]
        assert stored.lease_owner is None

    async def test_a_delivery_under_way_is_409(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        delivery = await delivery_of(
            endpoint,
            await event_of(actor),
            status=DeliveryStatus.SENDING,
            lease_owner="worker-1",
            next_attempt_at=utcnow() + timedelta(seconds=30),
        )
        with pytest.raises(Conflict) as refused:
            await webhooks.retry_webhook_delivery(
                actor=actor, endpoint_id=endpoint.id, event_id=delivery.event_id
            )
        assert refused.value.message == messages.WEBHOOK_DELIVERY_SENDING
        stored = await WebhookDelivery.get(delivery.id)
        assert stored is not None
        assert (stored.status, stored.lease_owner) == (DeliveryStatus.SENDING, "worker-1")

    async def test_a_lapsed_lease_is_taken_back(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        delivery = await delivery_of(
            endpoint,
            await event_of(actor),
            status=DeliveryStatus.SENDING,
            lease_owner="killed-worker",
            next_attempt_at=utcnow() - timedelta(seconds=1),
        )
        retried = await webhooks.retry_webhook_delivery(
            actor=actor, endpoint_id=endpoint.id, event_id=delivery.event_id
        )
        assert (retried.status, retried.lease_owner) == (DeliveryStatus.PENDING, None)

    async def test_an_event_never_delivered_gets_its_delivery(self) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor, ["*"])
        event = await event_of(actor, "user.updated")
        made = await webhooks.retry_webhook_delivery(
            actor=actor, endpoint_id=endpoint.id, event_id=event.id
        )
        [stored] = await WebhookDelivery.find_all().to_list()
        assert (stored.id, stored.endpoint_id, stored.event_id) == (made.id, endpoint.id, event.id)
        assert (stored.event_type, stored.status, stored.attempts) == (
            "user.updated",
            DeliveryStatus.PENDING,
            [],
        )
        assert abs(stored.expires_at - event.expires_at) < timedelta(milliseconds=1)  # as its event

    @pytest.mark.parametrize("case", ["unknown", "not subscribed", "other tenant", "ping"])
    async def test_nothing_to_deliver_is_404(self, case: str) -> None:
        actor = await make_actor(await make_gerant())
        endpoint = await endpoint_of(actor, ["store.created"])
        other = await make_actor(await make_gerant())
        event_id = {
            "unknown": "evt_nothing",
            "not subscribed": (await event_of(actor, "user.created")).id,
            "other tenant": (await event_of(other)).id,
            # A ping sent to another endpoint is that endpoint's alone.
            "ping": (
                await webhooks.send_test_ping(
                    actor=actor, endpoint_id=(await endpoint_of(actor, ["*"])).id
                )
            ).event_id,
        }[case]
        with pytest.raises(NotFound) as refused:
            await webhooks.retry_webhook_delivery(
                actor=actor, endpoint_id=endpoint.id, event_id=event_id
            )
        assert refused.value.message == messages.WEBHOOK_DELIVERY_NOT_FOUND
        assert await WebhookDelivery.find({"endpoint_id": endpoint.id}).count() == 0

    async def test_another_tenants_endpoint_is_404(self) -> None:
        actor = await make_actor(await make_gerant())
        theirs = await endpoint_of(await make_actor(await make_gerant()))
        with pytest.raises(NotFound) as refused:
            await webhooks.retry_webhook_delivery(
                actor=actor, endpoint_id=theirs.id, event_id="evt_x"
            )
        assert refused.value.message == messages.WEBHOOK_ENDPOINT_NOT_FOUND

    async def test_reader_cannot_retry(self) -> None:
        gerant = await make_gerant()
        endpoint = await endpoint_of(await make_actor(gerant))
        with pytest.raises(Forbidden) as refused:
            await webhooks.retry_webhook_delivery(
                actor=await make_actor(gerant, ["webhooks:read"]),
                endpoint_id=endpoint.id,
                event_id="evt_x",
            )
        assert refused.value.message == messages.INSUFFICIENT_PERMISSIONS.format(
            permission="webhooks:write"
        )


async def disable(actor: Actor, endpoint: WebhookEndpoint) -> None:
    await webhooks.update_webhook_endpoint(
        actor=actor,
        endpoint_id=endpoint.id,
        data=parse(WebhookEndpointUpdate, {"status": "disabled"}),
        urls=URLS,
    )


class TestPing:
    async def test_one_pending_delivery_to_this_endpoint_alone(self) -> None:
        actor = await feed_actor(await make_gerant())
        endpoint = await endpoint_of(actor, ["*"])
        await endpoint_of(actor, ["*"])  # another endpoint, which receives every type
        delivery = await webhooks.send_test_ping(actor=actor, endpoint_id=endpoint.id)
        [stored] = await WebhookDelivery.find_all().to_list()
        assert (stored.id, stored.endpoint_id) == (delivery.id, endpoint.id)
        assert (stored.event_type, stored.status, stored.attempts) == (
            PING,
            DeliveryStatus.PENDING,
            [],
        )
        event = await Event.get(delivery.event_id)
        assert event is not None
        assert (event.gerant_id, event.type, event.to_dispatch) == (actor.gerant_id, PING, False)
        assert event.data == {"object": {"webhook_endpoint_id": endpoint.id}}
        assert event_json(event)["data"] == event.data

    async def test_a_ping_is_kept_as_long_as_the_events(self) -> None:
        actor = await feed_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        log = EventLog(retention=timedelta(days=3))
        delivery = await webhooks.send_test_ping(actor=actor, endpoint_id=endpoint.id, events=log)
        event = await Event.get(delivery.event_id)
        assert event is not None
        assert event.expires_at - event.created_at == timedelta(days=3)

    async def test_a_ping_stays_out_of_the_feed(self) -> None:
        actor = await feed_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        logged = await event_of(actor)
        ping = await webhooks.send_test_ping(actor=actor, endpoint_id=endpoint.id)
        page = await event_feed.list_events(
            actor=actor, filter=event_feed.EventFilter(), limit=10, starting_after=None
        )
        assert [event.id for event in page.items] == [logged.id]
        with pytest.raises(NotFound):
            await event_feed.get_event(actor=actor, event_id=ping.event_id)

    async def test_a_disabled_endpoint_is_409_for_a_ping_and_a_retry(self) -> None:
        actor = await feed_actor(await make_gerant())
        endpoint = await endpoint_of(actor)
        event = await event_of(actor)
        await disable(actor, endpoint)
        with pytest.raises(Conflict) as pinged:
            await webhooks.send_test_ping(actor=actor, endpoint_id=endpoint.id)
        with pytest.raises(Conflict) as retried:
            await webhooks.retry_webhook_delivery(
                actor=actor, endpoint_id=endpoint.id, event_id=event.id
            )
        assert pinged.value.message == retried.value.message == messages.WEBHOOK_ENDPOINT_DISABLED
        assert await WebhookDelivery.count() == 0
        assert await Event.count() == 1
