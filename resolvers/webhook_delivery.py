"""Webhook delivery: each new event fanned out to the endpoints subscribed to it, then each
delivery sent as Standard Webhooks says and retried on a schedule; the background job that
does both.

Every API process runs one, and they share the work through the database only. Fan-out is
idempotent (one delivery per endpoint and event, a unique index), so two processes fanning out
one event make one delivery. A delivery is claimed with one atomic conditional update and held
until its lease ends (`next_attempt_at` while `sending`), so a process killed mid-attempt
leaves it to another once the lease has passed. Delivery is at least once: a receiver drops
duplicates by `webhook-id`, which is the event's id on every attempt.
"""

import asyncio
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from contract.event_types import ALL_EVENTS, EVENT_TYPES
from contract.representations import event_json
from infra.background import periodically
from infra.webhook_schedule import next_attempt_delay
from infra.webhook_sender import DeliveryAttempt, WebhookSender
from models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointStatus,
)
from models.clock import utcnow
from models.transactions import run_in_transaction
from models.webhook_delivery import DeliveryAttemptRecord
from resolvers import scopes
from resolvers.mail_outbox import MailKind, enqueue
from resolvers.webhook_alerts import disabled_data

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 100
FAN_OUT_BATCHES_PER_RUN = 10  # a backlog is fanned out over several runs, not in one long one
CONCURRENCY = 16  # deliveries in flight in one process
CANDIDATES = 100  # due deliveries looked up at once
PER_ENDPOINT = 4  # of which to one endpoint: a slow endpoint leaves room for the others
SHUTDOWN_GRACE_SECONDS = 2.0
DUPLICATE_KEY = 11000
ENDPOINT_DELETED = "not sent: the endpoint was deleted"
ENDPOINT_DISABLED = "not sent: the endpoint is disabled"
EVENT_GONE = "not sent: the event is no longer kept"


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried, leased, and when a failing endpoint is disabled."""

    schedule: tuple[int, ...]  # seconds to wait after each failed attempt
    lease: timedelta  # longer than an attempt's timeout
    disable_after: timedelta  # an endpoint whose attempts all failed this long is disabled


@dataclass(frozen=True)
class Claim:
    delivery: WebhookDelivery
    owner: str  # this claim's own token: only its holder may record the outcome


def subscribed(endpoint: WebhookEndpoint, event: Event) -> bool:
    """Whether `endpoint` receives `event`: of a type it names or, for `*`, of any recorded
    type (a `ping` goes only to the endpoint it tests), and recorded since its creation."""
    if event.created_at < endpoint.created_at:
        return False
    if ALL_EVENTS in endpoint.events:
        return event.type in EVENT_TYPES
    return event.type in endpoint.events


async def fan_out(batch: int = FAN_OUT_BATCH) -> int:
    """Make the deliveries of up to `batch` events still to dispatch, oldest first, one per
    enabled endpoint of their tenant subscribed to them; how many events were dispatched.

    Deliveries are inserted before the events are marked: a process that dies in between
    leaves the events to the next fan-out, whose inserts the unique index turns into no-ops.
    """
    events = await Event.find({"to_dispatch": True}).sort("created_at").limit(batch).to_list()
    if not events:
        return 0
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    for tenant in {event.gerant_id for event in events}:
        enabled = scopes.webhook_endpoints(tenant, status=WebhookEndpointStatus.ENABLED)
        endpoints[tenant] = await WebhookEndpoint.find(enabled).to_list()
    deliveries = [
        WebhookDelivery(
            gerant_id=event.gerant_id,
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_type=event.type,
            expires_at=event.expires_at,
        )
        for event in events
        for endpoint in endpoints[event.gerant_id]
        if subscribed(endpoint, event)
    ]
    await _insert_new(deliveries)
    await Event.get_motor_collection().update_many(
        {"_id": {"$in": [event.id for event in events]}}, {"$set": {"to_dispatch": False}}
    )
    return len(events)


async def _insert_new(deliveries: list[WebhookDelivery]) -> None:
    """Insert those not made yet: another process's fan-out of the same event made the rest."""
    if not deliveries:
        return
    documents = [delivery.model_dump(by_alias=True) for delivery in deliveries]
    try:
        await WebhookDelivery.get_motor_collection().insert_many(documents, ordered=False)
    except BulkWriteError as error:
        others = [e for e in error.details["writeErrors"] if e["code"] != DUPLICATE_KEY]
        if others:
            raise


@dataclass(frozen=True)
class Candidate:
    """A delivery that was due when looked up: `claim` tells whether it still is."""

    delivery_id: str
    endpoint_id: str


def _due(now: datetime) -> dict[str, Any]:
    """Pending and due, or sending with its lease over (its worker died)."""
    return {
        "status": {"$in": [DeliveryStatus.PENDING, DeliveryStatus.SENDING]},
        "next_attempt_at": {"$lte": now},
    }


async def due_candidates(limit: int, *, busy: Collection[str] = ()) -> list[Candidate]:
    """Up to `limit` due deliveries, most overdue first, to endpoints not in `busy`.

    One query for many claims: a database may read every due delivery to answer it (the
    embedded one does), whatever the limit, so workers take candidates in batches and claim
    each by its id."""
    query = _due(utcnow())
    if busy:
        query["endpoint_id"] = {"$nin": sorted(busy)}
    found = WebhookDelivery.get_motor_collection().find(query, {"endpoint_id": 1})
    return [
        Candidate(delivery_id=row["_id"], endpoint_id=row["endpoint_id"])
        async for row in found.sort("next_attempt_at", ASCENDING).limit(limit)
    ]


async def claim(delivery_id: str, lease: timedelta) -> Claim | None:
    """Lease the delivery if it is still due (one atomic conditional update: of workers
    claiming it at once, one gets it)."""
    now = utcnow()
    owner = uuid4().hex
    found = await WebhookDelivery.get_motor_collection().find_one_and_update(
        {"_id": delivery_id, **_due(now)},
        {
            "$set": {
                "status": DeliveryStatus.SENDING,
                "next_attempt_at": now + lease,
                "lease_owner": owner,
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    if found is None:
        return None
    return Claim(delivery=WebhookDelivery.model_validate(found), owner=owner)


async def claim_due(lease: timedelta, *, busy: Collection[str] = ()) -> Claim | None:
    """Lease the most overdue delivery, pending or with an expired lease, to an endpoint not
    in `busy`."""
    for candidate in await due_candidates(CONCURRENCY, busy=busy):
        claimed = await claim(candidate.delivery_id, lease)
        if claimed is not None:
            return claimed
    return None


async def settle(
    claim: Claim, changes: dict[str, Any], attempt: DeliveryAttemptRecord | None = None
) -> bool:
    """Record an attempt's outcome if the claim still holds the lease (else another worker
    took the delivery over, and its state wins); whether it did."""
    update: dict[str, Any] = {"$set": {**changes, "lease_owner": None}}
    if attempt is not None:
        update["$push"] = {"attempts": attempt.model_dump()}
    result = await WebhookDelivery.get_motor_collection().update_one(
        {"_id": claim.delivery.id, "lease_owner": claim.owner, "status": DeliveryStatus.SENDING},
        update,
    )
    if result.modified_count == 0:
        logger.warning(
            "webhook delivery %s: lease lost before the outcome was recorded", claim.delivery.id
        )
        return False
    return True


async def release(claim: Claim) -> None:
    """Give a claimed delivery back at once, unsent (this process is stopping)."""
    await WebhookDelivery.get_motor_collection().update_one(
        {"_id": claim.delivery.id, "lease_owner": claim.owner, "status": DeliveryStatus.SENDING},
        {
            "$set": {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": utcnow(),
                "lease_owner": None,
            }
        },
    )


async def give_up(claim: Claim, number: int, reason: str) -> None:
    """Fail a delivery without sending it, with an attempt record that says why (the
    deliveries list shows it)."""
    record = DeliveryAttemptRecord(
        attempt=number, at=utcnow(), status_code=None, duration_ms=0, error=reason
    )
    await settle(claim, {"status": DeliveryStatus.FAILED, "next_attempt_at": None}, record)


@dataclass
class WebhookDeliverer:
    """This process's delivery worker: fans out new events and sends due deliveries, at most
    CONCURRENCY at a time and PER_ENDPOINT of them to one endpoint."""

    sender: WebhookSender
    policy: DeliveryPolicy
    concurrency: int = CONCURRENCY
    per_endpoint: int = PER_ENDPOINT
    closing: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _in_flight: Counter[str] = field(default_factory=Counter)
    _candidates: deque[Candidate] = field(default_factory=deque)
    _looking: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run_once(self) -> int:
        """Fan out the events to dispatch, then start the due deliveries there is room for;
        how many were started (each worker goes on with the next due one when done)."""
        for _ in range(FAN_OUT_BATCHES_PER_RUN):
            if await fan_out() < FAN_OUT_BATCH:
                break
        started = 0
        while not self.closing and len(self._tasks) < self.concurrency:
            claim = await self._next_claim()
            if claim is None:
                break
            task = asyncio.create_task(self._work(claim))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    def _busy(self) -> set[str]:
        return {endpoint for endpoint, n in self._in_flight.items() if n >= self.per_endpoint}

    async def _work(self, claim: Claim | None) -> None:
        """Deliver `claim`, then the next due deliveries, until none is due (a backlog drains
        without waiting for the next run)."""
        while claim is not None:
            endpoint_id = claim.delivery.endpoint_id
            self._in_flight[endpoint_id] += 1
            try:
                await self.deliver(claim)
            except asyncio.CancelledError:
                await release(claim)
                raise
            except Exception:
                # Its lease ends by itself and another run takes it again.
                logger.exception("webhook delivery %s failed", claim.delivery.id)
                return
            finally:
                self._in_flight[endpoint_id] -= 1
                if self._in_flight[endpoint_id] == 0:
                    del self._in_flight[endpoint_id]
            if self.closing:
                return
            claim = await self._next_claim()

    async def _next_claim(self) -> Claim | None:
        """Claim the next candidate to an endpoint with room; the candidates are looked up
        again once spent (at most once a call: none due then means none for now)."""
        async with self._looking:
            for fresh in (False, True):
                if fresh:
                    found = await due_candidates(CANDIDATES, busy=self._busy())
                    self._candidates = deque(found)
                skipped = []
                claimed = None
                while self._candidates and claimed is None:
                    candidate = self._candidates.popleft()
                    if candidate.endpoint_id in self._busy():
                        skipped.append(candidate)
                    else:
                        claimed = await claim(candidate.delivery_id, self.policy.lease)
                self._candidates.extendleft(reversed(skipped))
                if claimed is not None:
                    return claimed
            return None

    async def deliver(self, claim: Claim) -> None:
        """Send one claimed delivery and record the attempt: delivered on a 2xx, else retried
        on the schedule or failed once it is spent. Not sent when its endpoint is gone or
        disabled, or its event no longer kept."""
        delivery = claim.delivery
        number = len(delivery.attempts) + 1
        tenant = delivery.gerant_id
        endpoint = await WebhookEndpoint.find_one(
            scopes.webhook_endpoints(tenant, _id=delivery.endpoint_id)
        )
        event = await Event.find_one(scopes.events(tenant, _id=delivery.event_id))
        if endpoint is None:
            return await give_up(claim, number, ENDPOINT_DELETED)
        if endpoint.status is not WebhookEndpointStatus.ENABLED:
            return await give_up(claim, number, ENDPOINT_DISABLED)
        if event is None:
            return await give_up(claim, number, EVENT_GONE)
        now = utcnow()
        sent = await self.sender.send(
            url=endpoint.url,
            event_id=event.id,
            body=event_json(event),
            timestamp=now,
            signing_secrets=endpoint.signing_secrets(now),
        )
        record = DeliveryAttemptRecord(
            attempt=number,
            at=now,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
            error=sent.error,
        )
        if not await settle(claim, self.outcome(sent, number), record):
            return
        if sent.delivered:
            if endpoint.failing_since is not None:  # a round trip saved on every other success
                await _endpoint_answered(endpoint)
        else:
            logger.info(
                "webhook delivery %s to %s: attempt %d failed: %s",
                delivery.id,
                endpoint.id,
                number,
                sent.error,
            )
            await self._endpoint_failed(endpoint, now)

    def outcome(self, sent: DeliveryAttempt, number: int) -> dict[str, Any]:
        """The delivery's next state after attempt `number`."""
        if sent.delivered:
            return {"status": DeliveryStatus.DELIVERED, "next_attempt_at": None}
        delay = next_attempt_delay(self.policy.schedule, number)
        if delay is None:
            return {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        return {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": utcnow() + timedelta(seconds=delay),
        }

    async def _endpoint_failed(self, endpoint: WebhookEndpoint, now: datetime) -> None:
        """Start the endpoint's failing period if none runs; disable it once the period has
        lasted `disable_after` (one process wins the disabling, and tells)."""
        endpoints = WebhookEndpoint.get_motor_collection()
        tenant = endpoint.gerant_id
        await endpoints.update_one(
            scopes.webhook_endpoints(tenant, _id=endpoint.id, failing_since=None),
            {"$set": {"failing_since": now}},
        )
        days = self.policy.disable_after / timedelta(days=1)

        async def disable(session: AsyncIOMotorClientSession) -> bool:
            """Disable the endpoint if it failed long enough, and queue the gérant's email."""
            disabled = await endpoints.update_one(
                scopes.webhook_endpoints(
                    tenant,
                    _id=endpoint.id,
                    status=WebhookEndpointStatus.ENABLED,
                    failing_since={"$lte": now - self.policy.disable_after},
                ),
                {"$set": {"status": WebhookEndpointStatus.DISABLED, "updated_at": now}},
                session=session,
            )
            if disabled.modified_count == 0:
                return False
            await enqueue(
                session,
                kind=MailKind.WEBHOOK_ENDPOINT_DISABLED,
                gerant_id=tenant,
                data=disabled_data(endpoint.id, days),
            )
            return True

        if await run_in_transaction(WebhookEndpoint, disable):
            logger.warning(
                "webhook endpoint %s of gérant %s disabled: every delivery failed for %g days",
                endpoint.id,
                tenant,
                days,
            )

    async def stop(self) -> None:
        """Let the deliveries in flight end for a moment, then give the rest back unsent."""
        self.closing = True
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE_SECONDS)
        for task in late:
            task.cancel()
        for task in late:
            with suppress(asyncio.CancelledError):
                await task


async def _endpoint_answered(endpoint: WebhookEndpoint) -> None:
    """A success ends the endpoint's failing period."""
    await WebhookEndpoint.get_motor_collection().update_one(
        scopes.webhook_endpoints(endpoint.gerant_id, _id=endpoint.id, failing_since={"$ne": None}),
        {"$set": {"failing_since": None}},
    )


@asynccontextmanager
async def webhook_delivery(
    sender: WebhookSender, policy: DeliveryPolicy, *, poll_seconds: float
) -> AsyncIterator[WebhookDeliverer]:
    """Fan out events and send due deliveries every `poll_seconds` while the block runs."""
    deliverer = WebhookDeliverer(sender=sender, policy=policy)
    try:
        async with periodically(poll_seconds, deliverer.run_once):
            try:
                yield deliverer
            finally:
                deliverer.closing = True
    finally:
        await deliverer.stop()
