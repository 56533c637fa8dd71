"""Webhook endpoints: where a tenant's events are sent. Creation, reading, updates, deletion and
the rotation of the signing secret; URLs must be https and reach public addresses only (no
server-side request forgery), checked at creation and at each change of URL. Their deliveries:
the list, a retry and a test ping, which only make or reset WebhookDelivery documents (the
delivery workers send them)."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

from beanie import SortDirection
from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import AfterValidator, Field, StringConstraints, field_validator
from pymongo.errors import DuplicateKeyError

from contract import event_types, messages
from contract.actor import Actor
from contract.errors import BadRequest, Conflict, Forbidden, NotFound
from contract.event_types import ALL_EVENTS, EVENT_TYPES
from contract.inputs import Input, OneLine, Text, omittable
from contract.permissions import Permission
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from infra.public_addresses import EndpointUrlPolicy, Refusal, UnsafeUrl
from infra.webhook_sender import generate_secret
from models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint, WebhookEndpointStatus
from models.clock import utcnow
from models.operations import insert_once, next_operation_id, take_operation_id
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.pagination import Page, check_page_size, page_of

MAX_URL = 2048
MAX_EVENT_TYPE = 100
MAX_ENDPOINTS_PER_TENANT = 20
# After a rotation the former secret signs beside the new one this long, so that receivers can
# switch without losing a delivery.
SECRET_OVERLAP = timedelta(hours=24)
# A ping is kept, with its delivery, as long as the event log keeps events by default: its
# retries follow the same schedule as any delivery's.
DELIVERIES_ORDER = [("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)]
URL_REFUSALS: dict[Refusal, str] = {
    "malformed": messages.WEBHOOK_URL_MALFORMED,
    "not_https": messages.WEBHOOK_URL_NOT_HTTPS,
    "not_public": messages.WEBHOOK_URL_NOT_PUBLIC,
    "unresolvable": messages.WEBHOOK_URL_NOT_PUBLIC,
}


def _known_event_types(value: list[str]) -> list[str]:
    """The types in the contract's order, once each; `*` alone stands for every type."""
    types = event_types.known(name for name in value if name != ALL_EVENTS)
    return [ALL_EVENTS] if ALL_EVENTS in value else types


Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL), OneLine
]
EventTypes = Annotated[
    list[Annotated[str, Field(max_length=MAX_EVENT_TYPE)]],
    Field(min_length=1, max_length=len(EVENT_TYPES) + 1),
    AfterValidator(_known_event_types),
]


class WebhookEndpointCreate(Input):
    url: Url = Field(description="https, at public addresses only")
    events: EventTypes = Field(description='Event types to receive, or ["*"] for all')
    description: Text | None = None


class WebhookEndpointUpdate(Input):
    """The updatable fields; only those present are applied (a new URL is checked again)."""

    url: Url | None = Field(default=None, json_schema_extra=omittable)
    events: EventTypes | None = Field(default=None, json_schema_extra=omittable)
    description: Text | None = None
    status: WebhookEndpointStatus | None = Field(default=None, json_schema_extra=omittable)

    @field_validator("url", "events", "status")
    @classmethod
    def not_null(cls, value: object) -> object:
        """A URL, the event types or the status may be left out, never cleared."""
        if value is None:
            raise ValueError(messages.FIELD_NOT_NULLABLE)
        return value


@dataclass(frozen=True)
class EndpointWithSecret:
    """An endpoint and its signing secret, as creation and rotation show it (only they do)."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)


def _require(actor: Actor, permission: Permission) -> None:
    """`permission`, on the whole tenant: an endpoint receives every store's events."""
    actor.require(permission)
    if actor.is_store_restricted:
        raise Forbidden(messages.WEBHOOKS_NEED_ALL_STORES)


async def _check_url(url: str, urls: EndpointUrlPolicy) -> None:
    try:
        await urls.check(url)
    except UnsafeUrl as refused:
        raise BadRequest(URL_REFUSALS[refused.reason]) from None


async def _tenant_endpoint(actor: Actor, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.find_one(
        scopes.webhook_endpoints(actor.gerant_id, _id=endpoint_id)
    )
    if endpoint is None:
        raise NotFound(messages.WEBHOOK_ENDPOINT_NOT_FOUND)
    return endpoint


async def create_webhook_endpoint(
    *, actor: Actor, data: WebhookEndpointCreate, urls: EndpointUrlPolicy
) -> EndpointWithSecret:
    """A new enabled endpoint with a new signing secret, shown in this answer only."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    await _check_url(data.url, urls)
    # Not counting the endpoint an earlier attempt of this operation made: its retry finds it.
    others = scopes.webhook_endpoints(actor.gerant_id, operation_id={"$ne": next_operation_id()})
    if await WebhookEndpoint.find(others).count() >= MAX_ENDPOINTS_PER_TENANT:
        raise BadRequest(
            messages.WEBHOOK_ENDPOINTS_LIMITED.format(maximum=MAX_ENDPOINTS_PER_TENANT)
        )
    endpoint = WebhookEndpoint(
        gerant_id=actor.gerant_id,
        url=data.url,
        events=data.events,
        description=data.description,
        secret=generate_secret(),
    )
    # An earlier attempt's endpoint comes back with its secret, which it never showed (an
    # answer is recorded before it is sent, and a recorded one is replayed, not run again).
    stored = await insert_once(endpoint)
    return EndpointWithSecret(endpoint=stored, secret=stored.secret)


async def list_webhook_endpoints(*, actor: Actor) -> list[WebhookEndpoint]:
    """The tenant's endpoints, oldest first."""
    _require(actor, Permission.WEBHOOKS_READ)
    found = WebhookEndpoint.find(scopes.webhook_endpoints(actor.gerant_id))
    return await found.sort("created_at", "_id").to_list()


async def get_webhook_endpoint(*, actor: Actor, endpoint_id: str) -> WebhookEndpoint:
    """One of the tenant's endpoints; another tenant's is unknown (404)."""
    _require(actor, Permission.WEBHOOKS_READ)
    return await _tenant_endpoint(actor, endpoint_id)


async def update_webhook_endpoint(
    *,
    actor: Actor,
    endpoint_id: str,
    data: WebhookEndpointUpdate,
    urls: EndpointUrlPolicy,
) -> WebhookEndpoint:
    """Apply the fields present in `data`; a new URL passes the creation's check again."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    if not data.model_fields_set:
        raise BadRequest(messages.NO_FIELDS_TO_UPDATE)
    endpoint = await _tenant_endpoint(actor, endpoint_id)
    if data.url is not None:
        await _check_url(data.url, urls)
    changes: dict[str, Any] = {**data.model_dump(include=data.model_fields_set)}
    changes["updated_at"] = utcnow()
    if {"url", "status"} & data.model_fields_set:
        # A new address, or enabled again: its failures so far no longer count towards
        # disabling it (see resolvers/webhook_delivery.py).
        changes["failing_since"] = None
    await WebhookEndpoint.find_one(
        scopes.webhook_endpoints(actor.gerant_id, _id=endpoint.id)
    ).update({"$set": changes})
    for name, value in changes.items():
        setattr(endpoint, name, value)
    return endpoint


async def delete_webhook_endpoint(*, actor: Actor, endpoint_id: str) -> str:
    """Delete an endpoint: nothing is sent to it from then on."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    deleted = await WebhookEndpoint.get_motor_collection().delete_one(
        scopes.webhook_endpoints(actor.gerant_id, _id=endpoint_id)
    )
    if deleted.deleted_count == 0:
        raise NotFound(messages.WEBHOOK_ENDPOINT_NOT_FOUND)
    return messages.WEBHOOK_ENDPOINT_DELETED


async def rotate_webhook_secret(*, actor: Actor, endpoint_id: str) -> EndpointWithSecret:
    """A new signing secret, shown in this answer only; the former one keeps signing beside it
    for SECRET_OVERLAP (a secret older than that stops at once)."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    endpoint = await _tenant_endpoint(actor, endpoint_id)
    operation_id = take_operation_id()
    if endpoint.rotation_operation_id == operation_id:
        # An earlier attempt of this rotation got this far and its answer was lost: the secret
        # it made was never shown; rotating again would drop the one receivers know.
        return EndpointWithSecret(endpoint=endpoint, secret=endpoint.secret)
    now = utcnow()
    changes: dict[str, Any] = {
        "secret": generate_secret(),
        "previous_secret": endpoint.secret,
        "previous_secret_expires_at": now + SECRET_OVERLAP,
        "rotation_operation_id": operation_id,
        "updated_at": now,
    }
    # Conditional, so that of two rotations at the same time only one wins: the other's secret
    # would be replaced before anyone could use it.
    rotated = await WebhookEndpoint.get_motor_collection().update_one(
        scopes.webhook_endpoints(
            actor.gerant_id, _id=endpoint.id, rotation_operation_id=endpoint.rotation_operation_id
        ),
        {"$set": changes},
    )
    if rotated.matched_count == 0:
        raise Conflict(messages.WEBHOOK_SECRET_ROTATING)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    return EndpointWithSecret(endpoint=endpoint, secret=endpoint.secret)


# --- Deliveries ------------------------------------------------------------------------------


def delivery_key(delivery: WebhookDelivery) -> tuple[str]:
    """Where a delivery stands in a page: its id, from which its place in the list is read."""
    return (delivery.id,)


async def list_webhook_deliveries(
    *, actor: Actor, endpoint_id: str, limit: int, starting_after: str | None
) -> Page[WebhookDelivery]:
    """An endpoint's deliveries, newest first (created_at, then id), `limit` at a time after the
    delivery `starting_after` (one of this endpoint's, else a 400)."""
    _require(actor, Permission.WEBHOOKS_READ)
    check_page_size(limit)
    endpoint = await _tenant_endpoint(actor, endpoint_id)
    query = scopes.webhook_deliveries(actor.gerant_id, endpoint_id=endpoint.id)
    if starting_after is not None:
        anchor = await WebhookDelivery.find_one(
            scopes.webhook_deliveries(actor.gerant_id, endpoint_id=endpoint.id, _id=starting_after)
        )
        if anchor is None:
            raise BadRequest(messages.WEBHOOK_DELIVERY_CURSOR_UNKNOWN)
        query["$or"] = [
            {"created_at": {"$lt": anchor.created_at}},
            {"created_at": anchor.created_at, "_id": {"$lt": anchor.id}},
        ]
    found = await WebhookDelivery.find(query).sort(DELIVERIES_ORDER).limit(limit + 1).to_list()
    return page_of(found, limit, delivery_key)


async def _enabled_endpoint(actor: Actor, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint, which must be enabled for anything to be sent to it."""
    endpoint = await _tenant_endpoint(actor, endpoint_id)
    if endpoint.status is not WebhookEndpointStatus.ENABLED:
        raise Conflict(messages.WEBHOOK_ENDPOINT_DISABLED)
    return endpoint


async def retry_webhook_delivery(
    *, actor: Actor, endpoint_id: str, event_id: str
) -> WebhookDelivery:
    """Send an event to an endpoint again: its delivery goes back to pending, due now (its
    attempts are kept; the workers add the next). An event of a type the endpoint receives but
    never delivered to it (it was disabled, or created later) gets its delivery now. A delivery
    whose attempt is under way (a live lease) is a 409."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    endpoint = await _enabled_endpoint(actor, endpoint_id)
    now = utcnow()
    this_one = scopes.webhook_deliveries(
        actor.gerant_id, endpoint_id=endpoint.id, event_id=event_id
    )
    # Conditional, so that a worker's claim and this reset never both hold: a lease still live
    # (a `sending` delivery due later) is left alone.
    reset = await WebhookDelivery.get_motor_collection().update_one(
        {
            **this_one,
            "$or": [
                {"status": {"$ne": DeliveryStatus.SENDING.value}},
                {"next_attempt_at": {"$lte": now}},
            ],
        },
        {
            "$set": {
                "status": DeliveryStatus.PENDING.value,
                "next_attempt_at": now,
                "lease_owner": None,
            }
        },
    )
    found = await WebhookDelivery.find_one(this_one)
    if found is not None:
        # Not reset yet found: under way, unless the fan-out made it just now (pending, due).
        if reset.matched_count == 0 and found.status is DeliveryStatus.SENDING:
            raise Conflict(messages.WEBHOOK_DELIVERY_SENDING)
        return found
    event = await Event.find_one(scopes.events(actor.gerant_id, _id=event_id))
    if event is None or not event_types.receives(endpoint.events, event.type):
        raise NotFound(messages.WEBHOOK_DELIVERY_NOT_FOUND)
    delivery = WebhookDelivery(
        gerant_id=actor.gerant_id,
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=event.type,
        next_attempt_at=now,
        expires_at=event.expires_at,
    )
    try:
        await delivery.insert()
    except DuplicateKeyError:
        # The workers' fan-out made it meanwhile: pending, due now, as this retry would.
        made = await WebhookDelivery.find_one(this_one)
        if made is None:  # and it expired in between: nothing left to send
            raise NotFound(messages.WEBHOOK_DELIVERY_NOT_FOUND) from None
        return made
    return delivery


async def send_test_ping(
    *, actor: Actor, endpoint_id: str, events: EventLog = DEFAULT_EVENT_LOG
) -> WebhookDelivery:
    """A `ping` event for this endpoint alone, and its delivery, due now. The event is out of
    the feed (not one of the contract's types) and never fanned out (`to_dispatch` false)."""
    _require(actor, Permission.WEBHOOKS_WRITE)
    endpoint = await _enabled_endpoint(actor, endpoint_id)
    now = utcnow()
    event = Event(
        gerant_id=actor.gerant_id,
        type=event_types.PING,
        created_at=now,
        data={"object": {"webhook_endpoint_id": endpoint.id}},
        expires_at=events.expiry(now),
        to_dispatch=False,
    )
    delivery = WebhookDelivery(
        gerant_id=actor.gerant_id,
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=event.type,
        next_attempt_at=now,
        created_at=now,
        expires_at=event.expires_at,
    )

    async def insert_both(session: AsyncIOMotorClientSession) -> None:
        """Together: a delivery is sent from its event, and an event alone would be kept idle."""
        await event.insert(session=session)
        await delivery.insert(session=session)

    await run_in_transaction(Event, insert_both)
    return delivery
