"""REST: /webhook_endpoints, where a tenant's events are sent, and their signing secrets."""

from typing import Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from contract import messages
from contract.permissions import Permission
from contract.representations import Timestamp, timestamp
from edge.context import services
from edge.outcome import SecretNote, request_outcome
from models import WebhookEndpoint as WebhookEndpointDocument
from models import WebhookEndpointStatus
from resolvers import webhooks
from rest_compat.auth import CurrentActor
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
