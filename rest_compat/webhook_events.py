"""The OpenAPI document's `webhooks` section: what each event type POSTs to an endpoint, with the
Standard Webhooks headers. The body is the event as the feed gives it (GET /events/{id}), its
`data.object` the resource as this API renders it."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, create_model

from contract.event_types import EVENT_TYPES, PING
from contract.inputs import omittable
from contract.representations import (
    ApiKeyInfo,
    Invitation,
    KpiImport,
    KpiSyncedDay,
    Store,
    Timestamp,
    User,
)

WEBHOOKS = APIRouter()


class PingObject(BaseModel):
    webhook_endpoint_id: str = Field(description="The endpoint the test was sent to")


def event_models(name: str, resource: type[BaseModel]) -> type[BaseModel]:
    """The body of the events about `resource`: the feed's event, its object typed."""
    data = create_model(
        f"{name}EventData",
        __doc__=f"`object`: the {resource.__name__} as the REST API renders it, once the change "
        "was made",
        object=(resource, ...),
        previous_attributes=(
            dict[str, Any] | None,
            Field(
                default=None,
                description="Updates only: the former values of the fields that changed",
                json_schema_extra=omittable,
            ),
        ),
    )
    return create_model(
        f"{name}Event",
        __doc__="An event as the feed gives it (GET /events/{event_id})",
        id=(str, Field(description="`evt_…`: the webhook-id header, the same on every retry")),
        type=(str, ...),
        created_at=(Timestamp, ...),
        data=(data, ...),
    )


# An event type's resource is the part of its name before the dot.
BODIES: dict[str, type[BaseModel]] = {
    "store": event_models("Store", Store),
    "user": event_models("User", User),
    "invitation": event_models("Invitation", Invitation),
    "kpi": event_models("KpiSynced", KpiSyncedDay),
    "kpi_import": event_models("KpiImportCompleted", KpiImport),
    "api_key": event_models("ApiKey", ApiKeyInfo),
    PING: event_models("Ping", PingObject),
}
HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The event's id: the same on every retry, to drop duplicates",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "When this attempt was signed, in Unix seconds: refuse one too far from now",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,<base64 HMAC-SHA256>` per signing secret, space-separated (two for "
        "24 h after a rotation), as Standard Webhooks specifies",
        "schema": {"type": "string"},
    },
]
ANSWERS: dict[int | str, dict[str, Any]] = {
    "2XX": {"description": "Delivered: any 2xx within 10 seconds (the body is not read)"},
    "default": {
        "description": "Anything else, or no answer in time, is retried on the schedule "
        "(5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)"
    },
}


def describe(event_type: str) -> None:
    """Add the webhook `event_type` to WEBHOOKS, its body the event model of its resource."""

    async def receive(event: Any) -> None:
        del event

    receive.__annotations__["event"] = Annotated[BODIES[event_type.split(".")[0]], Body()]
    first, *others = event_type.replace(".", "_").split("_")
    WEBHOOKS.post(
        event_type,
        operation_id=first + "".join(part.title() for part in others),
        summary=event_type,
        description="Sent by POST /webhook_endpoints/{endpoint_id}/test to that endpoint only"
        if event_type == PING
        else "Sent to the endpoints subscribed to it",
        responses=ANSWERS,
        openapi_extra={"parameters": HEADERS},
    )(receive)


for _event_type in (*EVENT_TYPES, PING):
    describe(_event_type)
