"""GraphQL: webhook endpoints (where a tenant's events are sent) and their signing secrets."""

from datetime import datetime

import strawberry

from contract import messages
from contract.validation import parse
from models import WebhookEndpoint as WebhookEndpointDocument
from resolvers import webhooks
from schema.access import Caller
from schema.common import DeleteResult
from schema.context import Info
from schema.enums import WebhookEndpointStatus
from schema.inputs import plain_input
from schema.secrets import Secret


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
