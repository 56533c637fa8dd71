"""Webhook delivery rules: fan-out to the subscribed endpoints, attempts against a real local
receiver (signatures checked with `standardwebhooks`), retries, auto-disable and leases."""

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from contract.representations import event_json
from contract.validation import parse
from infra.public_addresses import EndpointUrlPolicy
from infra.webhook_sender import WebhookSender, generate_secret
from models import (
    DeliveryStatus,
    Event,
    OutboxMail,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointStatus,
)
from models.clock import utcnow
from resolvers import webhooks
from resolvers.webhook_delivery import (
    ENDPOINT_DELETED,
    ENDPOINT_DISABLED,
    Claim,
    DeliveryPolicy,
    WebhookDeliverer,
    claim_due,
    fan_out,
    settle,
)
from resolvers.webhooks import WebhookEndpointCreate, WebhookEndpointUpdate
from tests.support.events import record_event
from tests.support.factories import make_actor, make_gerant
from tests.support.webhook_receiver import Receiver, receiving

pytestmark = pytest.mark.usefixtures("mock_db")

TENANT, OTHER = "usr_a", "usr_b"
LEASE = timedelta(seconds=30)
HOOK = "http://127.0.0.1:9/hook"
ANY_ADDRESS = EndpointUrlPolicy(allow_private=True)
POLICY = DeliveryPolicy(schedule=(5, 60), lease=LEASE, disable_after=timedelta(days=5))


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def base(receiver: Receiver) -> Iterator[str]:
    with receiving(receiver) as url:
        yield url


def deliverer(policy: DeliveryPolicy = POLICY) -> WebhookDeliverer:
    return WebhookDeliverer(
        sender=WebhookSender(timeout_seconds=5, allow_private=True), policy=policy
    )


async def endpoint(
    url: str = "https://hooks.example.com/rpai",
    events: list[str] | None = None,
    tenant: str = TENANT,
    status: WebhookEndpointStatus = WebhookEndpointStatus.ENABLED,
) -> WebhookEndpoint:
    made = WebhookEndpoint(
        gerant_id=tenant,
        url=url,
        events=events or ["*"],
        status=status,
        secret=generate_secret(),
        created_at=utcnow() - timedelta(hours=1),
    )
    await made.insert()
    return made


async def event(type: str = "store.created", tenant: str = TENANT) -> Event:
    return await record_event(tenant, type, utcnow())


async def delivery_for(hook: WebhookEndpoint, happened: Event) -> WebhookDelivery:
    """The delivery fan-out made of `happened` to `hook`."""
    await fan_out()
    found = await WebhookDelivery.find_one({"endpoint_id": hook.id, "event_id": happened.id})
    assert found is not None
    return found


async def attempt(worker: WebhookDeliverer) -> WebhookDelivery:
    """Claim the due delivery (moved due first), send it, and read it back."""
    await WebhookDelivery.get_motor_collection().update_many(
        {"status": DeliveryStatus.PENDING}, {"$set": {"next_attempt_at": utcnow()}}
    )
    claim = await claim_due(LEASE)
    assert claim is not None
    await worker.deliver(claim)
    stored = await WebhookDelivery.get(claim.delivery.id)
    assert stored is not None
    return stored


def summary(delivery: WebhookDelivery) -> list[tuple[int, int | None, str | None]]:
    return [(a.attempt, a.status_code, a.error) for a in delivery.attempts]


class TestFanOut:
    async def test_one_delivery_per_enabled_endpoint_subscribed_to_the_type(self) -> None:
        everything = await endpoint(events=["*"])
        stores = await endpoint(events=["store.created", "store.deleted"])
        await endpoint(events=["user.created"])
        await endpoint(status=WebhookEndpointStatus.DISABLED)
        await endpoint(tenant=OTHER)
        happened = await event("store.created")

        assert await fan_out() == 1

        made = await WebhookDelivery.find_all().to_list()
        assert sorted(d.endpoint_id for d in made) == sorted([everything.id, stores.id])
        assert {(d.gerant_id, d.event_id, d.event_type, d.status) for d in made} == {
            (TENANT, happened.id, "store.created", DeliveryStatus.PENDING)
        }
        assert {d.expires_at for d in made} == {happened.expires_at}
        stored = await Event.get(happened.id)
        assert stored is not None
        assert stored.to_dispatch is False

    async def test_a_second_fan_out_finds_nothing_to_dispatch(self) -> None:
        await endpoint()
        await event()
        assert await fan_out() == 1
        assert await fan_out() == 0
        assert await WebhookDelivery.count() == 1

    async def test_a_ping_and_older_events_go_to_no_endpoint_by_fan_out(self) -> None:
        await event("store.created")  # before the endpoint existed
        hook = await endpoint(events=["*"])
        await WebhookEndpoint.get_motor_collection().update_one(
            {"_id": hook.id}, {"$set": {"created_at": utcnow() + timedelta(seconds=1)}}
        )
        await record_event(TENANT, "ping", utcnow() + timedelta(seconds=2))  # after it: a ping
        assert await fan_out() == 2
        assert await WebhookDelivery.count() == 0


class TestAttempts:
    async def test_a_delivery_is_the_event_json_signed_with_the_event_id(
        self, base: str, receiver: Receiver
    ) -> None:
        hook = await endpoint(f"{base}/ok")
        happened = await event()
        await delivery_for(hook, happened)

        delivered = await attempt(deliverer())

        assert delivered.status is DeliveryStatus.DELIVERED
        assert delivered.next_attempt_at is None
        assert summary(delivered) == [(1, 200, None)]
        [request] = await receiver.received_at_least(1)
        assert request.webhook_id == happened.id
        verified = Webhook(hook.secret).verify(request.body, request.headers)
        assert verified == json.loads(json.dumps(event_json(happened)))
        assert request.headers["content-type"] == "application/json"

    async def test_a_failure_then_a_success_is_delivered_at_the_second_attempt(
        self, base: str, receiver: Receiver
    ) -> None:
        receiver.answers["/flaky"] = [503]
        hook = await endpoint(f"{base}/flaky")
        happened = await event()
        await delivery_for(hook, happened)
        worker = deliverer()

        first = await attempt(worker)
        assert (first.status, summary(first)) == (
            DeliveryStatus.PENDING,
            [(1, 503, "HTTP 503")],
        )
        assert first.next_attempt_at is not None
        assert first.next_attempt_at - first.attempts[0].at >= timedelta(seconds=5)
        assert await claim_due(LEASE) is None  # not due before the schedule says

        second = await attempt(worker)
        assert (second.status, summary(second)) == (
            DeliveryStatus.DELIVERED,
            [(1, 503, "HTTP 503"), (2, 200, None)],
        )
        requests = await receiver.received_at_least(2)
        assert [r.webhook_id for r in requests] == [happened.id, happened.id]
        for request in requests:
            Webhook(hook.secret).verify(request.body, request.headers)

    async def test_a_spent_schedule_fails_the_delivery(self, base: str, receiver: Receiver) -> None:
        receiver.answers["/down"] = [500, 500]
        hook = await endpoint(f"{base}/down")
        await delivery_for(hook, await event())
        worker = deliverer(DeliveryPolicy((1,), LEASE, timedelta(days=5)))

        await attempt(worker)
        spent = await attempt(worker)

        assert (spent.status, spent.next_attempt_at) == (DeliveryStatus.FAILED, None)
        assert summary(spent) == [(1, 500, "HTTP 500"), (2, 500, "HTTP 500")]
        assert await claim_due(LEASE) is None

    async def test_a_redirect_is_a_failure_and_is_not_followed(
        self, base: str, receiver: Receiver
    ) -> None:
        receiver.answers["/moved"] = [302]
        hook = await endpoint(f"{base}/moved")
        await delivery_for(hook, await event())

        moved = await attempt(deliverer())

        assert moved.status is DeliveryStatus.PENDING
        assert summary(moved) == [(1, 302, "HTTP 302: redirects are not followed")]
        assert [r.path for r in receiver.received] == ["/moved"]

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"$set": {"status": "disabled"}}, ENDPOINT_DISABLED),
            (None, ENDPOINT_DELETED),
        ],
    )
    async def test_an_endpoint_disabled_or_deleted_fails_its_deliveries_unsent(
        self, base: str, receiver: Receiver, change: dict[str, object] | None, reason: str
    ) -> None:
        hook = await endpoint(f"{base}/ok")
        await delivery_for(hook, await event())
        endpoints = WebhookEndpoint.get_motor_collection()
        if change is None:
            await endpoints.delete_one({"_id": hook.id})
        else:
            await endpoints.update_one({"_id": hook.id}, change)

        given_up = await attempt(deliverer())

        assert given_up.status is DeliveryStatus.FAILED
        assert summary(given_up) == [(1, None, reason)]
        assert receiver.received == []


class TestAutoDisable:
    async def test_failing_for_the_limit_disables_the_endpoint(
        self, base: str, receiver: Receiver
    ) -> None:
        receiver.answers["/down"] = [500] * 3
        hook = await endpoint(f"{base}/down")
        await delivery_for(hook, await event())
        worker = deliverer()

        await attempt(worker)
        failing = await WebhookEndpoint.get(hook.id)
        assert failing is not None
        assert failing.status is WebhookEndpointStatus.ENABLED
        assert failing.failing_since is not None
        started = failing.failing_since

        await attempt(worker)  # a second failure keeps the period's start
        still = await WebhookEndpoint.get(hook.id)
        assert still is not None
        assert (still.status, still.failing_since) == (WebhookEndpointStatus.ENABLED, started)

        await WebhookEndpoint.get_motor_collection().update_one(
            {"_id": hook.id}, {"$set": {"failing_since": utcnow() - timedelta(days=5, seconds=1)}}
        )
        await delivery_for(hook, await event("store.updated"))
        await WebhookDelivery.get_motor_collection().update_many(
            {"attempts": {"$size": 2}}, {"$set": {"status": "failed"}}
        )
        await attempt(worker)
        disabled = await WebhookEndpoint.get(hook.id)
        assert disabled is not None
        assert disabled.status is WebhookEndpointStatus.DISABLED
        [mail] = await OutboxMail.find_all().to_list()  # the gérant's email, queued with it
        assert (mail.gerant_id, mail.kind, mail.data) == (
            TENANT,
            "webhook_endpoint.disabled",
            {"endpoint_id": hook.id, "days": 5.0},
        )

    async def test_a_success_ends_the_failing_period(self, base: str, receiver: Receiver) -> None:
        receiver.answers["/flaky"] = [500]
        hook = await endpoint(f"{base}/flaky")
        await delivery_for(hook, await event())
        worker = deliverer()
        await attempt(worker)
        await WebhookEndpoint.get_motor_collection().update_one(
            {"_id": hook.id}, {"$set": {"failing_since": utcnow() - timedelta(days=6)}}
        )

        await attempt(worker)

        answered = await WebhookEndpoint.get(hook.id)
        assert answered is not None
        assert (answered.status, answered.failing_since) == (WebhookEndpointStatus.ENABLED, None)


class TestLeases:
    async def test_a_claimed_delivery_is_taken_over_once_its_lease_has_passed(
        self, base: str
    ) -> None:
        hook = await endpoint(f"{base}/ok")
        await delivery_for(hook, await event())
        dead = await claim_due(LEASE)
        assert dead is not None
        assert await claim_due(LEASE) is None  # held

        await WebhookDelivery.get_motor_collection().update_one(
            {"_id": dead.delivery.id}, {"$set": {"next_attempt_at": utcnow()}}
        )
        alive = await claim_due(LEASE)
        assert alive is not None
        assert alive.delivery.id == dead.delivery.id
        assert alive.owner != dead.owner
        # The worker thought dead comes back: its outcome is not recorded over the new claim.
        assert not await settle(dead, {"status": DeliveryStatus.FAILED})
        await deliverer().deliver(alive)

        stored = await WebhookDelivery.get(alive.delivery.id)
        assert stored is not None
        assert (stored.status, summary(stored)) == (DeliveryStatus.DELIVERED, [(1, 200, None)])

    async def test_a_stopping_worker_gives_back_what_it_could_not_finish(
        self, base: str, receiver: Receiver
    ) -> None:
        receiver.gate = threading.Event()  # the attempt outlasts the shutdown's grace
        hook = await endpoint(f"{base}/hang")
        await delivery_for(hook, await event())
        worker = deliverer()
        assert await worker.run_once() == 1
        await receiver.received_at_least(1)

        await worker.stop()

        [given_back] = await WebhookDelivery.find_all().to_list()
        assert (given_back.status, given_back.lease_owner, given_back.attempts) == (
            DeliveryStatus.PENDING,
            None,
            [],
        )
        assert await claim_due(LEASE) is not None  # due at once, for another process

    async def test_a_slow_endpoint_does_not_hold_the_others(
        self, base: str, receiver: Receiver
    ) -> None:
        receiver.gate = threading.Event()
        slow = await endpoint(f"{base}/slow")
        fast = await endpoint(f"{base}/fast")
        await event()  # the first request (the slow endpoint's, oldest) waits for the gate
        await fan_out()
        await WebhookDelivery.get_motor_collection().update_one(
            {"endpoint_id": fast.id}, {"$set": {"next_attempt_at": utcnow() + timedelta(seconds=1)}}
        )
        worker = WebhookDeliverer(
            sender=WebhookSender(timeout_seconds=30, allow_private=True),
            policy=POLICY,
            concurrency=2,
            per_endpoint=1,
        )
        await worker.run_once()
        await receiver.received_at_least(1)  # the slow one is in flight
        await WebhookDelivery.get_motor_collection().update_one(
            {"endpoint_id": fast.id}, {"$set": {"next_attempt_at": utcnow()}}
        )
        await worker.run_once()
        requests = await receiver.received_at_least(2)
        assert [r.path for r in requests] == ["/slow", "/fast"]
        receiver.gate.set()
        await worker.stop()
        states = {d.endpoint_id: d.status for d in await WebhookDelivery.find_all().to_list()}
        assert states == {slow.id: DeliveryStatus.DELIVERED, fast.id: DeliveryStatus.DELIVERED}


async def test_claims_at_once_take_each_delivery_once() -> None:
    hooks = [await endpoint() for _ in range(3)]
    for _ in range(5):
        await event()
    await fan_out()
    claims = await asyncio.gather(*(claim_due(LEASE) for _ in range(20)))
    taken = [claim.delivery.id for claim in claims if isinstance(claim, Claim)]
    assert len(taken) == len(set(taken)) == 15 == len(hooks) * 5


@pytest.mark.parametrize(
    ("change", "period_kept"),
    [({"status": "enabled"}, False), ({"url": HOOK}, False), ({"description": "ERP"}, True)],
)
async def test_enabled_again_or_moved_an_endpoint_starts_a_new_failing_period(
    change: dict[str, str], period_kept: bool
) -> None:
    actor = await make_actor(await make_gerant())
    body = {"url": HOOK, "events": ["*"]}
    created = await webhooks.create_webhook_endpoint(
        actor=actor, data=parse(WebhookEndpointCreate, body), urls=ANY_ADDRESS
    )
    since = utcnow() - timedelta(days=6)
    await WebhookEndpoint.get_motor_collection().update_one(
        {"_id": created.endpoint.id}, {"$set": {"status": "disabled", "failing_since": since}}
    )

    await webhooks.update_webhook_endpoint(
        actor=actor,
        endpoint_id=created.endpoint.id,
        data=parse(WebhookEndpointUpdate, change),
        urls=ANY_ADDRESS,
    )

    stored = await WebhookEndpoint.get(created.endpoint.id)
    assert stored is not None
    assert (stored.failing_since is not None) is period_kept
