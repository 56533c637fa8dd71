"""The OpenAPI document: every integration endpoint shows its security, the spec's examples and
its error responses, every example is valid against the document's own schemas, and the names,
formats and nullability are what a generated client needs."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from contract.event_types import EVENT_TYPES, PING
from contract.representations import event_json
from edge.paths import INTEGRATIONS_PREFIX
from models import Event
from rest_compat import ROUTERS
from rest_compat.stores import STORE_EXAMPLE_OUT
from rpai.app import create_app

app = create_app()
DOCUMENT = app.openapi()
SCHEMAS = DOCUMENT["components"]["schemas"]
ROUTES = {
    (method.lower(), INTEGRATIONS_PREFIX + route.path): route
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}
OPERATIONS = [
    (method, path, operation)
    for path, operations in DOCUMENT["paths"].items()
    if path.startswith(INTEGRATIONS_PREFIX)
    for method, operation in operations.items()
]
NULL = {"type": "null"}


def success(route: APIRoute) -> tuple[int, dict[str, Any]]:
    """A route's success status (200, or 202 for an import) and its documented content."""
    status = route.status_code or 200
    content: dict[str, Any] = route.responses[status]["content"]
    return status, content


def test_every_endpoint_documents_security_examples_and_errors() -> None:
    assert len(OPERATIONS) == 29
    for method, path, operation in OPERATIONS:
        assert operation["security"] == [{"ApiKeyHeader": []}, {"BearerApiKey": []}], path
        status, content = success(ROUTES[(method, path)])
        [(media_type, documented)] = content.items()
        example = operation["responses"][str(status)]["content"][media_type]["example"]
        assert example == documented["example"]
        assert {"401", "429", "503"} <= set(operation["responses"]), (method, path)
        if method in {"post", "put", "delete"}:
            # Idempotency-Key: a wrong length is a 400, a reuse 422, a key still running 409.
            assert {"400", "409", "422"} <= set(operation["responses"]), (method, path)
        else:
            assert "422" not in operation["responses"], (method, path)
        if "requestBody" in operation:
            assert "413" in operation["responses"]
            bodies = operation["requestBody"]["content"].values()
            assert all("examples" in body or "example" in body for body in bodies), path
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Integration API key (`sk_live_…`). Recommended header.",
    }


def test_examples_are_valid_responses() -> None:
    assert len(ROUTES) == len(OPERATIONS)
    for route in ROUTES.values():
        _, content = success(route)
        if "application/json" in content:
            TypeAdapter(route.response_model).validate_python(
                content["application/json"]["example"]
            )
        else:  # the refused lines of an import, as NDJSON
            for line in content["application/x-ndjson"]["example"].splitlines():
                assert set(json.loads(line)) == {"line", "detail"}


def test_operation_ids_are_camel_case_names_of_the_operation() -> None:
    ids = {
        (method.upper(), path): operation["operationId"]
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
    }
    assert ids == {
        ("GET", "/api/integrations/me"): "getMe",
        ("GET", "/api/integrations/stores"): "listStores",
        ("POST", "/api/integrations/stores"): "createStore",
        ("GET", "/api/integrations/stores/{store_id}"): "getStore",
        ("PUT", "/api/integrations/stores/{store_id}"): "updateStore",
        ("DELETE", "/api/integrations/stores/{store_id}"): "deleteStore",
        ("POST", "/api/integrations/kpi/sync"): "syncKpis",
        ("GET", "/api/integrations/kpi"): "reconcileKpis",
        ("POST", "/api/integrations/kpi/imports"): "createKpiImport",
        ("GET", "/api/integrations/kpi/imports"): "listKpiImports",
        ("GET", "/api/integrations/kpi/imports/{import_id}"): "getKpiImport",
        ("GET", "/api/integrations/kpi/imports/{import_id}/errors"): "listKpiImportErrors",
        ("POST", "/api/integrations/stores/{store_id}/managers"): "createManager",
        ("POST", "/api/integrations/stores/{store_id}/sellers"): "createSeller",
        ("GET", "/api/integrations/users"): "listUsers",
        ("GET", "/api/integrations/users/{user_id}"): "getUser",
        ("PUT", "/api/integrations/users/{user_id}"): "updateUser",
        ("DELETE", "/api/integrations/users/{user_id}"): "deleteUser",
        ("GET", "/api/integrations/events"): "listEvents",
        ("GET", "/api/integrations/events/{event_id}"): "getEvent",
        ("GET", "/api/integrations/webhook_endpoints"): "listWebhookEndpoints",
        ("POST", "/api/integrations/webhook_endpoints"): "createWebhookEndpoint",
        ("GET", "/api/integrations/webhook_endpoints/{endpoint_id}"): "getWebhookEndpoint",
        ("PUT", "/api/integrations/webhook_endpoints/{endpoint_id}"): "updateWebhookEndpoint",
        ("DELETE", "/api/integrations/webhook_endpoints/{endpoint_id}"): "deleteWebhookEndpoint",
        (
            "POST",
            "/api/integrations/webhook_endpoints/{endpoint_id}/rotate_secret",
        ): "rotateWebhookEndpointSecret",
        (
            "GET",
            "/api/integrations/webhook_endpoints/{endpoint_id}/deliveries",
        ): "listWebhookDeliveries",
        (
            "POST",
            "/api/integrations/webhook_endpoints/{endpoint_id}/deliveries/{event_id}/retry",
        ): "retryWebhookDelivery",
        ("POST", "/api/integrations/webhook_endpoints/{endpoint_id}/test"): "testWebhookEndpoint",
        ("GET", "/healthz"): "checkHealth",
        ("GET", "/readyz"): "checkReadiness",
    }


def test_component_names_read_as_the_domain() -> None:
    assert sorted(SCHEMAS) == [
        "ApiKeyEvent",
        "ApiKeyEventData",
        "ApiKeyInfo",
        "DeleteResult",
        "DeliveryAttempt",
        "DeliveryStatus",
        "Error",
        "Event",
        "EventData",
        "EventList",
        "Gerant",
        "Health",
        "Invitation",
        "InvitationEvent",
        "InvitationEventData",
        "KpiDay",
        "KpiEntryData",
        "KpiImport",
        "KpiImportCompletedEvent",
        "KpiImportCompletedEventData",
        "KpiImportList",
        "KpiImportResult",
        "KpiReconciliation",
        "KpiSync",
        "KpiSyncResult",
        "KpiSyncedDay",
        "KpiSyncedEvent",
        "KpiSyncedEventData",
        "Manager",
        "ManagerCreate",
        "ManagerCreateResult",
        "Me",
        "PingEvent",
        "PingEventData",
        "PingObject",
        "Readiness",
        "Seller",
        "SellerCreate",
        "SellerCreateResult",
        "Store",
        "StoreCreate",
        "StoreCreateResult",
        "StoreEvent",
        "StoreEventData",
        "StoreList",
        "StoreResult",
        "StoreUpdate",
        "StoreUpdateResult",
        "UpdatedUser",
        "User",
        "UserEvent",
        "UserEventData",
        "UserList",
        "UserResult",
        "UserUpdate",
        "UserUpdateResult",
        "WebhookDelivery",
        "WebhookDeliveryList",
        "WebhookDeliveryResult",
        "WebhookEndpoint",
        "WebhookEndpointCreate",
        "WebhookEndpointList",
        "WebhookEndpointResult",
        "WebhookEndpointSecret",
        "WebhookEndpointStatus",
        "WebhookEndpointUpdate",
    ]


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    if "anyOf" not in schema:
        return [schema]
    return [leaf for option in schema["anyOf"] for leaf in alternatives(option)]


def properties() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in SCHEMAS.items():
        for field, spec in schema.get("properties", {}).items():
            yield name, field, spec


def test_timestamps_and_days_declare_their_format() -> None:
    timestamps = [(m, f, s) for m, f, s in properties() if f.endswith("_at") or f == "timestamp"]
    days = [(m, f, s) for m, f, s in properties() if f in ("date", "from", "to")]
    assert len(timestamps) >= 6
    assert len(days) >= 4
    for expected, found in (("date-time", timestamps), ("date", days)):
        for model, field, spec in found:
            texts = [item for item in alternatives(spec) if item.get("type") == "string"]
            assert [item.get("format") for item in texts] == [expected], (model, field)
    [epoch] = [
        item
        for item in alternatives(SCHEMAS["KpiEntryData"]["properties"]["timestamp"])
        if item.get("type") == "number"
    ]
    assert (epoch["minimum"], epoch["maximum"]) == (0, 253402300799)
    for parameter in DOCUMENT["paths"]["/api/integrations/kpi"]["get"]["parameters"]:
        if parameter["name"] in ("from", "to"):
            assert parameter["schema"]["format"] == "date"


@pytest.mark.parametrize(
    ("model", "never_null", "nullable"),
    [
        ("UserUpdate", ["name", "status"], ["phone", "external_id"]),
        ("StoreUpdate", ["name", "location", "active"], ["address", "phone", "external_id"]),
        ("StoreCreate", ["name", "location"], ["address", "phone", "opening_hours"]),
        ("ManagerCreate", ["name", "email", "send_invitation"], ["phone", "external_id"]),
        ("KpiSync", ["date", "kpi_entries"], ["store_id", "store_external_id", "source"]),
        ("KpiEntryData", ["ca_journalier", "nb_ventes"], ["seller_id", "prospects"]),
        ("Store", ["id", "name", "active", "created_at"], ["address", "external_id"]),
        ("User", ["id", "email", "role", "status"], ["store_id", "manager_id", "external_id"]),
        ("WebhookEndpointUpdate", ["url", "events", "status"], ["description"]),
        ("WebhookEndpoint", ["id", "url", "events", "status", "created_at"], ["description"]),
    ],
)
def test_nullability_is_what_is_accepted(
    model: str, never_null: list[str], nullable: list[str]
) -> None:
    fields = SCHEMAS[model]["properties"]
    for name in never_null:
        assert NULL not in alternatives(fields[name]), (model, name)
        assert fields[name].get("default", 0) is not None, (model, name)
    for name in nullable:
        assert NULL in alternatives(fields[name]), (model, name)


def test_query_parameters_are_never_null() -> None:
    for _method, path, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            assert NULL not in alternatives(parameter["schema"]), (path, parameter["name"])
            assert "default" not in parameter["schema"] or parameter["schema"]["default"], path


def test_the_probes_document_every_answer() -> None:
    ready = DOCUMENT["paths"]["/readyz"]["get"]["responses"]
    assert set(ready) == {"200", "503"}
    assert ready["503"]["content"]["application/json"]["example"] == {"status": "unavailable"}
    assert set(DOCUMENT["paths"]["/healthz"]["get"]["responses"]) == {"200"}


def validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator of `schema` whose references resolve inside the document."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": DOCUMENT["components"]}, validate_formats=True
    )


def examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Every example of the document with the schema it illustrates."""
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, example in body.get("examples", {}).items():
                    yield f"{method} {path} body {name}", body["schema"], example["value"]
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json", {})
                if "example" in content:
                    where = f"{method} {path} {status}"
                    yield where, content["schema"], content["example"]
    for name, schema in SCHEMAS.items():
        for spec in schema.get("properties", {}).values():
            for example in spec.get("examples", []):
                yield f"{name} property", spec, example


EXAMPLES = list(examples())


def test_examples_are_valid_against_the_document() -> None:
    assert len(EXAMPLES) > 60
    invalid = [
        (where, [error.message for error in validator(schema).iter_errors(example)])
        for where, schema, example in EXAMPLES
        if not validator(schema).is_valid(example)
    ]
    assert invalid == []


def test_the_check_refuses_an_invalid_example() -> None:
    store = {"$ref": "#/components/schemas/Store"}
    assert not validator(store).is_valid({"id": "store-1"})


def test_the_webhooks_section_describes_every_event_type_and_the_ping() -> None:
    webhooks = DOCUMENT["webhooks"]
    assert list(webhooks) == [*EVENT_TYPES, PING]
    bodies = {}
    for event_type, operations in webhooks.items():
        [(method, operation)] = operations.items()
        assert method == "post"
        assert [p["name"] for p in operation["parameters"]] == [
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        ]
        assert set(operation["responses"]) == {"2XX", "default"}
        bodies[event_type] = operation["requestBody"]["content"]["application/json"]["schema"]
    assert bodies["store.updated"] == {"$ref": "#/components/schemas/StoreEvent"}
    assert bodies["kpi.synced"] == {"$ref": "#/components/schemas/KpiSyncedEvent"}
    assert bodies["api_key.expiring"] == {"$ref": "#/components/schemas/ApiKeyEvent"}
    assert bodies[PING] == {"$ref": "#/components/schemas/PingEvent"}
    assert SCHEMAS["StoreEventData"]["properties"]["object"] == {
        "$ref": "#/components/schemas/Store"
    }
    assert SCHEMAS["UserEventData"]["properties"]["object"] == {"$ref": "#/components/schemas/User"}


def test_the_events_sent_are_valid_against_their_webhook_schema() -> None:
    at = datetime(2024, 1, 16, 8, 30, tzinfo=UTC)
    # Built without a database: the documents as event_json reads them.
    store_updated = Event.model_construct(
        id="evt_1",
        gerant_id="g",
        type="store.updated",
        created_at=at,
        data={
            "object": {**STORE_EXAMPLE_OUT, "phone": "0144556677"},
            "previous_attributes": {"phone": "0123456789"},
        },
        expires_at=at,
    )
    ping = Event.model_construct(
        id="evt_2",
        gerant_id="g",
        type=PING,
        created_at=at,
        data={"object": {"webhook_endpoint_id": "we_1"}},
        expires_at=at,
    )
    for event in (store_updated, ping):
        schema = DOCUMENT["webhooks"][event.type]["post"]["requestBody"]["content"]
        check = validator(schema["application/json"]["schema"])
        assert check.is_valid(event_json(event)), event.type
    assert not validator({"$ref": "#/components/schemas/StoreEvent"}).is_valid(event_json(ping))
