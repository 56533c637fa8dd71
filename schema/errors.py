"""The one mapping of errors to GraphQL: the message, with `extensions.code` and `.status`."""

import logging
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext, ExecutionResult

from contract import messages
from contract.errors import AppError, BadRequest, Unauthenticated, as_app_error
from edge.context import request_context
from edge.outcome import request_outcome
from edge.refusals import graphql_extensions
from schema.context import Context

logger = logging.getLogger(__name__)

INTERNAL_CODE = "INTERNAL_SERVER_ERROR"


def known_error(error: GraphQLError) -> AppError | None:
    """The AppError behind a GraphQL error; GraphQL's own parse/validation errors are 400s."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return BadRequest(error.message)
    if isinstance(original, AppError):
        return original
    return as_app_error(original)


def mapped(error: GraphQLError, request_id: str | None) -> GraphQLError:
    if error.original_error is None and "code" in (error.extensions or {}):
        return error  # mapped already (a websocket's last result is seen twice)
    app_error = known_error(error)
    if app_error is None:
        message = messages.INTERNAL_ERROR
        extensions: dict[str, Any] = {"code": INTERNAL_CODE, "status": 500}
        if request_id:
            extensions["requestId"] = request_id
    else:
        message, extensions = app_error.message, graphql_extensions(app_error)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def log_unexpected(errors: list[GraphQLError], _context: ExecutionContext | None) -> None:
    """Log only failures that are not expected caller errors, with their traceback."""
    for error in errors:
        if known_error(error) is None:
            logger.error("unexpected GraphQL error", exc_info=error.original_error)


class ErrorMapping(SchemaExtension):
    """Rewrites every error of a result into the mapped form; unexpected ones are masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, ExecutionResult | GraphQLExecutionResult):
            self._map(result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each result a websocket sends (a subscription's events, its ending error)."""
        if isinstance(result, ExecutionResult):
            self._map(result)
        yield

    def _map(self, result: ExecutionResult | GraphQLExecutionResult) -> None:
        if not result.errors:
            return
        context = self.execution_context.context
        scope = context.scope if isinstance(context, Context) else None
        refusals = [
            e.original_error for e in result.errors if isinstance(e.original_error, Unauthenticated)
        ]
        if scope is not None and refusals:
            request_outcome(scope).refusal = refusals[-1]
        request_id = request_context(scope).request_id if scope is not None else None
        result.errors = [mapped(error, request_id) for error in result.errors]
