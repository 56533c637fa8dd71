"""GraphQL: webhook endpoints (where a tenant's events are sent), their signing secrets and their
deliveries."""

from datetime import datetime

import strawberry

from contract import messages
from contract.validation import parse
from models import WebhookDelivery as WebhookDeliveryDocument
from models import WebhookEndpoint as WebhookEndpointDocument
from resolvers import webhooks
from resolvers.pagination import decode_cursor
from schema.access import Caller
from schema.common import Connection, DeleteResult, connection
from schema.context import Info
from schema.enums import DeliveryStatus, WebhookEndpointStatus
from schema.inputs import plain_input
from schema.secrets import Secret


@strawberry.type(description="One attempt to send a delivery.")
class WebhookDeliveryAttempt:
    attempt: int = strawberry.field(description="1 for the first attempt, then 2, 3, …")
    at: datetime
    status_code: int | None = strawberry.field(description="The receiver's HTTP status.")
    duration_ms: int
    error: str | None = strawberry.field(description="Why it failed; null when delivered.")


@strawberry.type(description="One event sent to one endpoint, with each attempt made.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(
        description="The event's id: the webhook-id header of each attempt."
    )
    event_type: str
    status: DeliveryStatus
    attempts: list[WebhookDeliveryAttempt] = strawberry.field(description="Oldest first.")
    next_attempt_at: datetime | None = strawberry.field(description="When PENDING: when it is due.")
    created_at: datetime


def delivery_type(delivery: WebhookDeliveryDocument) -> WebhookDelivery:
    pending = delivery.status is DeliveryStatus.PENDING
    return WebhookDelivery(
        id=strawberry.ID(delivery.id),
        event_id=strawberry.ID(delivery.event_id),
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=[
            WebhookDeliveryAttempt(
                attempt=attempt.attempt,
                at=attempt.at,
                status_code=attempt.status_code,
                duration_ms=attempt.duration_ms,
                error=attempt.error,
            )
            for attempt in delivery.attempts
        ],
        next_attempt_at=delivery.next_attempt_at if pending else None,
        created_at=delivery.created_at,
    )


@strawberry.type
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(
        description='Event types received, or ["*"] for every type.'
    )
    description: str | None
    status: WebhookEndpointStatus
    created_at: datetime

    @strawberry.field(
        description="Its deliveries, newest first, a page at a time (permission webhooks:read; "
        "`first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def deliveries(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        page = await webhooks.list_webhook_deliveries(
            actor=info.context.actor(),
            endpoint_id=self.id,
            limit=first,
            starting_after=None if after is None else decode_cursor(after, 1)[0],
        )
        return connection(page, delivery_type)


@strawberry.type
class WebhookEndpointWithSecret:
    webhook_endpoint: WebhookEndpoint
    secret: str = strawberry.field(
        description="The Standard Webhooks signing secret (whsec_…): in this response only.",
        extensions=[
            Secret(
                lambda shown: messages.WEBHOOK_SECRET_NOT_REPLAYED.format(
                    id=shown.webhook_endpoint.id
                )
            )
        ],
    )


@plain_input
@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    events: list[str]
    description: str | None = None


@plain_input
@strawberry.input(
    description="Only the fields given are updated (a new url is checked again); description "
    "clears with null."
)
class UpdateWebhookEndpointInput:
    url: str | None = strawberry.UNSET
    events: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: WebhookEndpointStatus | None = strawberry.UNSET


def webhook_endpoint_type(endpoint: WebhookEndpointDocument) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=strawberry.ID(endpoint.id),
        url=endpoint.url,
        events=endpoint.events,
        description=endpoint.description,
        status=WebhookEndpointStatus(endpoint.status),
        created_at=endpoint.created_at,
    )


def with_secret_type(shown: webhooks.EndpointWithSecret) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(
        webhook_endpoint=webhook_endpoint_type(shown.endpoint), secret=shown.secret
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The tenant's webhook endpoints, oldest first (permission webhooks:read).",
        permission_classes=[Caller],
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        found = await webhooks.list_webhook_endpoints(actor=info.context.actor())
        return [webhook_endpoint_type(endpoint) for endpoint in found]

    @strawberry.field(
        description="One webhook endpoint of the tenant (permission webhooks:read).",
        permission_classes=[Caller],
    )
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        endpoint = await webhooks.get_webhook_endpoint(actor=info.context.actor(), endpoint_id=id)
        return webhook_endpoint_type(endpoint)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Register a webhook endpoint (https, public addresses; permission "
        "webhooks:write); its signing secret is returned only here.",
        permission_classes=[Caller],
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointWithSecret:
        data = parse(webhooks.WebhookEndpointCreate, input)
        created = await webhooks.create_webhook_endpoint(
            actor=info.context.actor(), data=data, urls=info.context.services.webhook_urls
        )
        return with_secret_type(created)

    @strawberry.mutation(
        description="Update a webhook endpoint (permission webhooks:write).",
        permission_classes=[Caller],
    )
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpoint:
        data = parse(webhooks.WebhookEndpointUpdate, input)
        endpoint = await webhooks.update_webhook_endpoint(
            actor=info.context.actor(),
            endpoint_id=id,
            data=data,
            urls=info.context.services.webhook_urls,
        )
        return webhook_endpoint_type(endpoint)

    @strawberry.mutation(
        description="Delete a webhook endpoint (permission webhooks:write).",
        permission_classes=[Caller],
    )
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeleteResult:
        message = await webhooks.delete_webhook_endpoint(actor=info.context.actor(), endpoint_id=id)
        return DeleteResult(success=True, message=message)

    @strawberry.mutation(
        description="A new signing secret, returned only here; the former one keeps signing "
        "beside it for 24 hours (permission webhooks:write).",
        permission_classes=[Caller],
    )
    async def rotate_webhook_endpoint_secret(
        self, info: Info, id: strawberry.ID
    ) -> WebhookEndpointWithSecret:
        rotated = await webhooks.rotate_webhook_secret(actor=info.context.actor(), endpoint_id=id)
        return with_secret_type(rotated)

    @strawberry.mutation(
        description="Send an event to the endpoint again, now (its attempts are kept); creates "
        "the delivery of an event of a type it receives that was never delivered to it "
        "(permission webhooks:write).",
        permission_classes=[Caller],
    )
    async def retry_webhook_delivery(
        self, info: Info, endpoint_id: strawberry.ID, event_id: strawberry.ID
    ) -> WebhookDelivery:
        delivery = await webhooks.retry_webhook_delivery(
            actor=info.context.actor(), endpoint_id=endpoint_id, event_id=event_id
        )
        return delivery_type(delivery)

    @strawberry.mutation(
        description="Send a ping event to this endpoint alone; it is not in the events feed "
        "(permission webhooks:write).",
        permission_classes=[Caller],
    )
    async def test_webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookDelivery:
        delivery = await webhooks.send_test_ping(
            actor=info.context.actor(), endpoint_id=id, events=info.context.services.events
        )
        return delivery_type(delivery)
