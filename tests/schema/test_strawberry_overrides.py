"""What the schema replaces of Strawberry still matches what Strawberry does: these fail when an
upgrade changes the replaced code (see the README's "Upgrading Strawberry")."""

import hashlib
import inspect
from typing import Any

import strawberry
from strawberry.http.async_base_view import AsyncBaseHTTPView

from schema import Router
from schema.inputs import plain_input

# sha256 of the source of Strawberry's AsyncBaseHTTPView.execute_single (0.341.2), which
# Router.execute_single replaces: when it changes, carry the change over, then update this.
UPSTREAM_EXECUTE_SINGLE = "bc864c615b4dc12d6a8e94847dcbe8fab83294d663727cbdf8e2facdf2550bd0"


def test_execute_single_replaces_strawberrys_unchanged() -> None:
    upstream = AsyncBaseHTTPView.execute_single
    source = inspect.getsource(upstream)
    assert hashlib.sha256(source.encode()).hexdigest() == UPSTREAM_EXECUTE_SINGLE
    ours = inspect.signature(Router.execute_single).parameters
    theirs = inspect.signature(upstream).parameters
    assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()]
    # Still the step every single (non-streamed) HTTP request goes through.
    assert "self.execute_single(" in inspect.getsource(AsyncBaseHTTPView.execute_operation)


@plain_input
@strawberry.input
class Line:
    unit_price: int


@plain_input
@strawberry.input
class Order:
    store_id: str
    note: str | None = strawberry.UNSET
    lines: list[Line] | None = None


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, order: Order) -> str:
        return repr(order)


def test_plain_input_reaches_the_resolver_as_a_dict() -> None:
    """Strawberry builds the input through the definition's `from_input`: snake_case keys, the
    fields the client left out absent, nested inputs converted the same way."""
    result = strawberry.Schema(query=Query).execute_sync(
        '{ echo(order: {storeId: "s1", lines: [{unitPrice: 3}]}) }'
    )
    assert result.errors is None
    assert result.data is not None
    expected: dict[str, Any] = {"store_id": "s1", "lines": [{"unit_price": 3}]}
    assert result.data["echo"] == repr(expected)
