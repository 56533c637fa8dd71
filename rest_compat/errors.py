"""The one mapping of errors to REST responses: a status and `{"detail": message}`."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException

from edge.context import find_request_context, record_refusal
from edge.refusals import error_headers, rest_body
from resolvers import messages
from resolvers.errors import AppError, Unauthenticated, as_app_error
from resolvers.validation import format_errors

logger = logging.getLogger(__name__)


def error_response(error: AppError) -> JSONResponse:
    return JSONResponse(rest_body(error), status_code=error.status, headers=error_headers(error))


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if isinstance(exc, Unauthenticated):
        record_refusal(request.scope, exc)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return JSONResponse({"detail": messages.INVALID_JSON}, status_code=400)
    return JSONResponse({"detail": format_errors(errors)}, status_code=400)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    known = as_app_error(exc)
    if known is not None:
        logger.warning("%s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_response(known)
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    body: dict[str, Any] = {"detail": messages.INTERNAL_ERROR}
    context = find_request_context(request.scope)
    if context is not None:
        body["request_id"] = context.request_id
    return JSONResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on the app (REST routes; GraphQL maps its own errors)."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Database failures are answered inside the middleware stack, as 503s that middlewares see;
    # the `Exception` handler answers from the outermost layer, then re-raises to the server.
    app.add_exception_handler(PyMongoError, _unexpected_error)
    app.add_exception_handler(Exception, _unexpected_error)
