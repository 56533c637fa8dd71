"""The one error hierarchy raised by resolvers; each transport maps it once."""

from dataclasses import dataclass
from typing import ClassVar

from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
)

from contract.messages import INVALID_TEXT, SERVICE_UNAVAILABLE


class AppError(Exception):
    """An expected failure, shown to the caller with its message."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(AppError):
    status = 400
    code = "BAD_REQUEST"


class PersistedQueryNotFound(AppError):
    """A persisted query's hash this process does not know: send the text with it."""

    status = 400
    code = "PERSISTED_QUERY_NOT_FOUND"


@dataclass(frozen=True)
class RefusedKey:
    """The known key a request was refused for (inactive or expired): for its tenant's audit."""

    id: str
    gerant_id: str
    prefix: str


class Unauthenticated(AppError):
    status = 401
    code = "UNAUTHENTICATED"

    def __init__(
        self,
        message: str,
        reason: str = "invalid_credentials",
        refused_key: RefusedKey | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.refused_key = refused_key


class Forbidden(AppError):
    status = 403
    code = "FORBIDDEN"


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"


class Conflict(AppError):
    status = 409
    code = "CONFLICT"


class SecretNotReplayed(AppError):
    """A replayed answer cannot show the secret the first one showed (a key, a token)."""

    status = 410
    code = "SECRET_NOT_REPLAYED"


class PayloadTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class UnprocessableEntity(AppError):
    status = 422
    code = "UNPROCESSABLE_ENTITY"


class TooManyRequests(AppError):
    status = 429
    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(TooManyRequests):
    """A GraphQL query over the maximum cost, or over what its caller has left."""

    code = "THROTTLED"


class ServiceUnavailable(AppError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


def as_app_error(exc: Exception) -> AppError | None:
    """The caller-facing error for a failure below the rules: database down or slow, or text
    the database cannot store (an unpaired surrogate such as `"\ud800"` in a JSON string)."""
    if isinstance(exc, ConnectionFailure | AutoReconnect | NetworkTimeout | ExecutionTimeout):
        return ServiceUnavailable(SERVICE_UNAVAILABLE)
    if isinstance(exc, UnicodeEncodeError):
        return BadRequest(INVALID_TEXT)
    return None


def duplicate_key_fields(exc: DuplicateKeyError) -> set[str]:
    """The fields of the unique index a duplicate-key error was raised on."""
    details = exc.details or {}
    pattern = details.get("keyPattern") or details.get("keyValue") or {}
    return set(pattern)
