"""The one mapping of errors to REST responses: a status and `{"detail": message}`."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException

from resolvers import messages
from resolvers.errors import AppError, TooManyRequests, Unauthenticated, as_app_error
from resolvers.validation import format_errors

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def error_headers(error: AppError) -> dict[str, str] | None:
    """`Retry-After` on 429 and 503, so clients know when to try again."""
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after)}
    if error.status == 503:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return None


def error_response(error: AppError) -> JSONResponse:
    return JSONResponse(
        {"detail": error.message}, status_code=error.status, headers=error_headers(error)
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if isinstance(exc, Unauthenticated):
        request.state.auth_failure = exc.reason
        request.state.refused_key = exc.api_key
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
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
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
