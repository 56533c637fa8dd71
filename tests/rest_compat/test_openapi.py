"""The OpenAPI document: every integration endpoint shows its security, the spec's examples and
its error responses, and every example is a valid response of its endpoint."""

from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from rest_compat import PREFIX, ROUTERS
from rpai.app import create_app

app = create_app()
DOCUMENT = app.openapi()
ROUTES = {
    (method.lower(), PREFIX + route.path): route
    for router in ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
}
OPERATIONS = [
    (method, path, operation)
    for path, operations in DOCUMENT["paths"].items()
    if path.startswith(PREFIX)
    for method, operation in operations.items()
]


def test_every_endpoint_documents_security_examples_and_errors() -> None:
    assert len(OPERATIONS) == 10
    for method, path, operation in OPERATIONS:
        assert operation["security"] == [{"ApiKeyHeader": []}, {"BearerApiKey": []}], path
        example = operation["responses"]["200"]["content"]["application/json"]["example"]
        assert (
            example
            == ROUTES[(method, path)].responses[200]["content"]["application/json"]["example"]
        )
        assert {"401", "429", "503"} <= set(operation["responses"]), (method, path)
        assert "422" not in operation["responses"] or method in {"post", "put", "delete"}
        if "requestBody" in operation:
            assert "413" in operation["responses"]
            assert "examples" in operation["requestBody"]["content"]["application/json"], path
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
        example = route.responses[200]["content"]["application/json"]["example"]
        TypeAdapter(route.response_model).validate_python(example)
