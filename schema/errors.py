"""The one mapping of errors to GraphQL: the message, with `extensions.code` and `.status`."""

import logging
from collections.abc import Iterator
from typing import Any

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from resolvers import messages
from resolvers.errors import AppError, BadRequest, TooManyRequests, Unauthenticated, as_app_error

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


def extensions_of(error: AppError) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": error.code, "status": error.status}
    if isinstance(error, TooManyRequests):
        extensions["retryAfter"] = error.retry_after
    return extensions


def graphql_error_body(error: AppError) -> dict[str, Any]:
    """A whole GraphQL response carrying one error (for answers made outside execution)."""
    return {
        "data": None,
        "errors": [{"message": error.message, "extensions": extensions_of(error)}],
    }


def mapped(error: GraphQLError, request_id: str | None) -> GraphQLError:
    app_error = known_error(error)
    if app_error is None:
        message = messages.INTERNAL_ERROR
        extensions: dict[str, Any] = {"code": INTERNAL_CODE, "status": 500}
        if request_id:
            extensions["requestId"] = request_id
    else:
        message, extensions = app_error.message, extensions_of(app_error)
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
        if result is None or not result.errors:
            return
        request = getattr(self.execution_context.context, "request", None)
        state = request.state if request is not None else None
        for error in result.errors:
            if state is not None and isinstance(error.original_error, Unauthenticated):
                state.auth_failure = error.original_error.reason
                state.refused_key = error.original_error.api_key
        request_id = getattr(state, "request_id", None)
        result.errors = [mapped(error, request_id) for error in result.errors]
