"""The one mapping of errors to REST responses: a status and `{"detail": message}`."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.status import HTTP_405_METHOD_NOT_ALLOWED

from contract import messages
from contract.errors import AppError, Unauthenticated, as_app_error
from contract.validation import format_errors
from edge.context import find_request_context
from edge.no_sniff import NOSNIFF
from edge.outcome import request_outcome
from edge.refusals import error_headers, rest_body

logger = logging.getLogger(__name__)

# nginx's status for a request its client closed: nobody reads it, logs and metrics do.
CLIENT_CLOSED_REQUEST = 499


def error_response(error: AppError) -> JSONResponse:
    return JSONResponse(rest_body(error), status_code=error.status, headers=error_headers(error))


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if isinstance(exc, Unauthenticated):
        request_outcome(request.scope).refusal = exc
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return JSONResponse({"detail": messages.INVALID_JSON}, status_code=400)
    return JSONResponse({"detail": format_errors(errors)}, status_code=400)


def allowed_methods(request: Request) -> str:
    """Every method some route of the request's path takes, for a 405's `Allow`.

    Starlette names only those of the first route matching the path, while each method of a
    path is its own route (`/stores` said `GET` alone, though it takes POST too).
    """
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = exc.headers
    if exc.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _client_gone(request: Request, _exc: Exception) -> Response:
    """The client left before its body ended (an upload cut short): nothing to answer."""
    logger.info("%s %s: the client left before its body ended", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


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
    # Answered by Starlette's outermost layer, outside every middleware of ours.
    return JSONResponse(body, status_code=500, headers=NOSNIFF)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on the app (REST routes; GraphQL maps its own errors)."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    # Database failures are answered inside the middleware stack, as 503s that middlewares see;
    # the `Exception` handler answers from the outermost layer, then re-raises to the server.
    app.add_exception_handler(PyMongoError, _unexpected_error)
    app.add_exception_handler(Exception, _unexpected_error)
