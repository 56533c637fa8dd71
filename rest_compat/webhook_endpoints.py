"""REST: /webhook_endpoints, where a tenant's events are sent, their signing secrets, and their
deliveries (the list, a retry, a test ping)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, Field

from contract import messages
from contract.inputs import Identifier, omittable
from contract.permissions import Permission
from contract.representations import Timestamp, iso_utc, timestamp
from edge.context import services
from edge.outcome import SecretNote, request_outcome
from models import DeliveryStatus, WebhookEndpointStatus
from models import WebhookDelivery as WebhookDeliveryDocument
from models import WebhookEndpoint as WebhookEndpointDocument
from resolvers import webhooks
from resolvers.pagination import MAX_PAGE
from rest_compat.auth import CurrentActor
from rest_compat.event_log import Events
from rest_compat.responses import AUTH_ERRORS, DeleteResult, Responses, error, forbidden, success

router = APIRouter(tags=["webhooks"])

ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": "we_65f1c0ffee0123456789abcd",
    "url": "https://erp.example.com/hooks/retail-performer",
    "events": ["store.created", "store.updated", "kpi.synced"],
    "description": "ERP du siège",
    "status": "enabled",
    "created_at": "2024-01-15T10:00:00Z",
}
SECRET_EXAMPLE = "whsec_PJImOOMqTsO6NzGdaNUZxJ9wn5Lh55yoSDxbUofSpi4="
CREATE_EXAMPLE: dict[str, Any] = {
    "url": "https://erp.example.com/hooks/retail-performer",
    "events": ["store.created", "store.updated", "kpi.synced"],
    "description": "ERP du siège",
}
UPDATE_EXAMPLES: dict[str, Any] = {
    "disable": {"value": {"status": "disabled"}},
    "every event": {"value": {"events": ["*"]}},
    "move": {"value": {"url": "https://erp2.example.com/hooks/retail-performer"}},
}
NOT_FOUND: Responses = {
    404: error(
        "No webhook endpoint with this id in the key's tenant", messages.WEBHOOK_ENDPOINT_NOT_FOUND
    )
}
READ_ERRORS: Responses = {
    **AUTH_ERRORS,
    **forbidden(Permission.WEBHOOKS_READ),
}
WRITE_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "Invalid input: a URL that is not https or not at public addresses, an unknown event type",
        messages.WEBHOOK_URL_NOT_PUBLIC,
    ),
    **forbidden(Permission.WEBHOOKS_WRITE),
}
SECRET_ERRORS: Responses = {
    410: error(
        "A replay (same Idempotency-Key) of an answer that showed the secret: it is not shown "
        "again",
        messages.WEBHOOK_SECRET_NOT_REPLAYED.format(id=ENDPOINT_EXAMPLE["id"]),
    )
}


class WebhookEndpoint(BaseModel):
    """Where events are sent: `status` `disabled` sends nothing."""

    id: str
    url: str
    events: list[str] = Field(description='Event types received, or ["*"] for every type')
    description: str | None
    status: WebhookEndpointStatus
    created_at: Timestamp


class WebhookEndpointResult(BaseModel):
    webhook_endpoint: WebhookEndpoint


class WebhookEndpointList(BaseModel):
    webhook_endpoints: list[WebhookEndpoint]


class WebhookEndpointSecret(BaseModel):
    """An endpoint and its signing secret, shown in this answer only."""

    webhook_endpoint: WebhookEndpoint
    secret: str = Field(
        description="The Standard Webhooks signing secret (`whsec_…`): keep it, it is never "
        "shown again"
    )


def webhook_endpoint_out(endpoint: WebhookEndpointDocument) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events,
        description=endpoint.description,
        status=endpoint.status,
        created_at=timestamp(endpoint.created_at),
    )


def shown_once(request: Request, shown: webhooks.EndpointWithSecret) -> WebhookEndpointSecret:
    """The answer showing a secret; its copy kept for replays says why it cannot show it."""
    replay = messages.WEBHOOK_SECRET_NOT_REPLAYED.format(id=shown.endpoint.id)
    request_outcome(request.scope).secrets.append(
        SecretNote(path=("secret",), replay_message=replay)
    )
    return WebhookEndpointSecret(
        webhook_endpoint=webhook_endpoint_out(shown.endpoint), secret=shown.secret
    )


@router.post(
    "/webhook_endpoints",
    responses={
        **success({"webhook_endpoint": ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}),
        **WRITE_ERRORS,
        **SECRET_ERRORS,
    },
)
async def create_webhook_endpoint(
    request: Request,
    actor: CurrentActor,
    data: webhooks.WebhookEndpointCreate = Body(  # noqa: B008
        openapi_examples={"endpoint": {"value": CREATE_EXAMPLE}}
    ),
) -> WebhookEndpointSecret:
    """Register an endpoint (https, at public addresses); its signing secret is in this answer
    only."""
    urls = services(request.scope).webhook_urls
    created = await webhooks.create_webhook_endpoint(actor=actor, data=data, urls=urls)
    return shown_once(request, created)


@router.get(
    "/webhook_endpoints",
    responses={**success({"webhook_endpoints": [ENDPOINT_EXAMPLE]}), **READ_ERRORS},
)
async def list_webhook_endpoints(actor: CurrentActor) -> WebhookEndpointList:
    """The tenant's webhook endpoints, oldest first."""
    found = await webhooks.list_webhook_endpoints(actor=actor)
    return WebhookEndpointList(webhook_endpoints=[webhook_endpoint_out(e) for e in found])


@router.get(
    "/webhook_endpoints/{endpoint_id}",
    responses={**success({"webhook_endpoint": ENDPOINT_EXAMPLE}), **READ_ERRORS, **NOT_FOUND},
)
async def get_webhook_endpoint(actor: CurrentActor, endpoint_id: str) -> WebhookEndpointResult:
    """One webhook endpoint of the tenant."""
    endpoint = await webhooks.get_webhook_endpoint(actor=actor, endpoint_id=endpoint_id)
    return WebhookEndpointResult(webhook_endpoint=webhook_endpoint_out(endpoint))


@router.put(
    "/webhook_endpoints/{endpoint_id}",
    responses={
        **success({"webhook_endpoint": {**ENDPOINT_EXAMPLE, "status": "disabled"}}),
        **WRITE_ERRORS,
        **NOT_FOUND,
    },
)
async def update_webhook_endpoint(
    request: Request,
    actor: CurrentActor,
    endpoint_id: str,
    data: webhooks.WebhookEndpointUpdate = Body(openapi_examples=UPDATE_EXAMPLES),  # noqa: B008
) -> WebhookEndpointResult:
    """Update the fields given among `url` (checked again), `events`, `description` and
    `status`."""
    endpoint = await webhooks.update_webhook_endpoint(
        actor=actor, endpoint_id=endpoint_id, data=data, urls=services(request.scope).webhook_urls
    )
    return WebhookEndpointResult(webhook_endpoint=webhook_endpoint_out(endpoint))


@router.delete(
    "/webhook_endpoints/{endpoint_id}",
    responses={
        **success({"success": True, "message": messages.WEBHOOK_ENDPOINT_DELETED}),
        **AUTH_ERRORS,
        **forbidden(Permission.WEBHOOKS_WRITE),
        **NOT_FOUND,
    },
)
async def delete_webhook_endpoint(actor: CurrentActor, endpoint_id: str) -> DeleteResult:
    """Delete an endpoint: nothing is sent to it from then on."""
    message = await webhooks.delete_webhook_endpoint(actor=actor, endpoint_id=endpoint_id)
    return DeleteResult(success=True, message=message)


@router.post(
    "/webhook_endpoints/{endpoint_id}/rotate_secret",
    responses={
        **success({"webhook_endpoint": ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}),
        **AUTH_ERRORS,
        **forbidden(Permission.WEBHOOKS_WRITE),
        **NOT_FOUND,
        **SECRET_ERRORS,
    },
)
async def rotate_webhook_endpoint_secret(
    request: Request, actor: CurrentActor, endpoint_id: str
) -> WebhookEndpointSecret:
    """A new signing secret, in this answer only; the former one keeps signing beside it for
    24 hours."""
    rotated = await webhooks.rotate_webhook_secret(actor=actor, endpoint_id=endpoint_id)
    return shown_once(request, rotated)


# --- Deliveries ------------------------------------------------------------------------------

DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "whd_6753c0ffee0123456789abce",
    "event_id": "evt_6753c0ffee0123456789abcd",
    "event_type": "store.updated",
    "status": "pending",
    "attempts": [
        {
            "attempt": 1,
            "at": "2024-01-16T08:30:01Z",
            "status_code": 503,
            "duration_ms": 182,
            "error": "HTTP 503",
        }
    ],
    "next_attempt_at": "2024-01-16T08:30:06Z",
    "created_at": "2024-01-16T08:30:00Z",
}
PING_EXAMPLE: dict[str, Any] = {
    **DELIVERY_EXAMPLE,
    "id": "whd_6753c0ffee0123456789abcf",
    "event_id": "evt_6753c0ffee0123456789abd0",
    "event_type": "ping",
    "attempts": [],
    "next_attempt_at": "2024-01-16T09:00:00Z",
    "created_at": "2024-01-16T09:00:00Z",
}
DISABLED: Responses = {
    409: error(
        "The endpoint is disabled, or (retry) this delivery's attempt is under way",
        messages.WEBHOOK_ENDPOINT_DISABLED,
    )
}


class DeliveryAttempt(BaseModel):
    attempt: int = Field(description="1 for the first attempt, then 2, 3, …")
    at: Timestamp
    status_code: int | None = Field(description="The receiver's HTTP status; null if none came")
    duration_ms: int
    error: str | None = Field(
        description="Why the attempt failed (an HTTP status that is not 2xx, a timeout, a "
        "refused address…); null when delivered"
    )


class WebhookDelivery(BaseModel):
    """One event sent to one endpoint, with each attempt made."""

    id: str
    event_id: str = Field(description="The event's id: the `webhook-id` header of each attempt")
    event_type: str
    status: DeliveryStatus = Field(
        description="pending (its next attempt is due at next_attempt_at), sending (an attempt "
        "is under way), delivered (a 2xx answered), failed (the retry schedule is spent)"
    )
    attempts: list[DeliveryAttempt] = Field(description="Oldest first")
    next_attempt_at: Timestamp | None = Field(description="When pending: when it is due")
    created_at: Timestamp


class WebhookDeliveryList(BaseModel):
    deliveries: list[WebhookDelivery]
    has_more: bool = Field(description="Whether more deliveries follow: ask with starting_after")


class WebhookDeliveryResult(BaseModel):
    delivery: WebhookDelivery


class DeliveryListQuery(BaseModel):
    """Stripe-style pagination of an endpoint's deliveries, newest first."""

    limit: int = Field(default=10, ge=1, le=MAX_PAGE, description="How many deliveries, 1 to 100")
    starting_after: Identifier | None = Field(
        default=None,
        description="The id of the last delivery read: the page starts with the next older one",
        json_schema_extra=omittable,
    )


def delivery_out(delivery: WebhookDeliveryDocument) -> WebhookDelivery:
    pending = delivery.status is DeliveryStatus.PENDING
    return WebhookDelivery(
        id=delivery.id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=[
            DeliveryAttempt(
                attempt=attempt.attempt,
                at=timestamp(attempt.at),
                status_code=attempt.status_code,
                duration_ms=attempt.duration_ms,
                error=attempt.error,
            )
            for attempt in delivery.attempts
        ],
        next_attempt_at=iso_utc(delivery.next_attempt_at) if pending else None,
        created_at=timestamp(delivery.created_at),
    )


@router.get(
    "/webhook_endpoints/{endpoint_id}/deliveries",
    responses={
        **success({"deliveries": [DELIVERY_EXAMPLE], "has_more": False}),
        **READ_ERRORS,
        400: error(
            "A limit out of 1-100, or a starting_after that is not one of this endpoint's "
            "deliveries",
            messages.WEBHOOK_DELIVERY_CURSOR_UNKNOWN,
        ),
        **NOT_FOUND,
    },
)
async def list_webhook_deliveries(
    actor: CurrentActor, endpoint_id: str, query: Annotated[DeliveryListQuery, Query()]
) -> WebhookDeliveryList:
    """An endpoint's deliveries, newest first, with their attempts (kept as long as their
    events)."""
    page = await webhooks.list_webhook_deliveries(
        actor=actor, endpoint_id=endpoint_id, limit=query.limit, starting_after=query.starting_after
    )
    return WebhookDeliveryList(
        deliveries=[delivery_out(delivery) for delivery in page.items],
        has_more=page.has_next_page,
    )


@router.post(
    "/webhook_endpoints/{endpoint_id}/deliveries/{event_id}/retry",
    responses={
        **success({"delivery": {**DELIVERY_EXAMPLE, "next_attempt_at": "2024-01-16T10:00:00Z"}}),
        **AUTH_ERRORS,
        **forbidden(Permission.WEBHOOKS_WRITE),
        404: error(
            "No such endpoint, or no delivery of this event to it and no event of a type it "
            "receives",
            messages.WEBHOOK_DELIVERY_NOT_FOUND,
        ),
        **DISABLED,
    },
)
async def retry_webhook_delivery(
    actor: CurrentActor, endpoint_id: str, event_id: str
) -> WebhookDeliveryResult:
    """Send an event to the endpoint again, now; creates the delivery of an event of a type it
    receives that was never delivered to it."""
    delivery = await webhooks.retry_webhook_delivery(
        actor=actor, endpoint_id=endpoint_id, event_id=event_id
    )
    return WebhookDeliveryResult(delivery=delivery_out(delivery))


@router.post(
    "/webhook_endpoints/{endpoint_id}/test",
    responses={
        **success({"delivery": PING_EXAMPLE}),
        **AUTH_ERRORS,
        **forbidden(Permission.WEBHOOKS_WRITE),
        **NOT_FOUND,
        **DISABLED,
    },
)
async def test_webhook_endpoint(
    actor: CurrentActor, endpoint_id: str, events: Events
) -> WebhookDeliveryResult:
    """Send a `ping` event to this endpoint alone (it is not in the events feed)."""
    delivery = await webhooks.send_test_ping(actor=actor, endpoint_id=endpoint_id, events=events)
    return WebhookDeliveryResult(delivery=delivery_out(delivery))
