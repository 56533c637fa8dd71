"""The one mapping of errors to GraphQL: the message, with `extensions.code` and `.status`."""

import logging
from collections.abc import Iterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from resolvers import messages
from resolvers.errors import AppError, BadRequest, as_app_error

logger = logging.getLogger(__name__)

INTERNAL = {"code": "INTERNAL_SERVER_ERROR", "status": 500}


def known_error(error: GraphQLError) -> AppError | None:
    """The AppError behind a GraphQL error; GraphQL's own parse/validation errors are 400s."""
    original = error.original_error
    if original is None:
        return BadRequest(error.message)
    if isinstance(original, AppError):
        return original
    return as_app_error(original)


def mapped(error: GraphQLError) -> GraphQLError:
    app_error = known_error(error)
    if app_error is None:
        message, extensions = messages.INTERNAL_ERROR, INTERNAL
    else:
        message = app_error.message
        extensions = {"code": app_error.code, "status": app_error.status}
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
        if result is not None and result.errors:
            result.errors = [mapped(error) for error in result.errors]
