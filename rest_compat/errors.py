"""The one mapping of errors to REST responses: a status and `{"detail": message}`."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from resolvers import messages
from resolvers.errors import AppError, as_app_error
from resolvers.validation import format_errors

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"


def error_response(error: AppError) -> JSONResponse:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if error.status == 503 else None
    return JSONResponse({"detail": error.message}, status_code=error.status, headers=headers)


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
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
    return JSONResponse({"detail": messages.INTERNAL_ERROR}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on the app (REST routes; GraphQL maps its own errors)."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
