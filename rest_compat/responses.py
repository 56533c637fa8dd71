"""Response bodies and OpenAPI error descriptions shared by every endpoint."""

from typing import Any

from pydantic import BaseModel


class Error(BaseModel):
    """Every refusal: the message says what is wrong, and is stable."""

    detail: str


class DeleteResult(BaseModel):
    """The body of a successful soft deletion."""

    success: bool
    message: str


def error(description: str, example: str) -> dict[str, Any]:
    return {
        "model": Error,
        "description": description,
        "content": {"application/json": {"example": {"detail": example}}},
    }


Responses = dict[int | str, dict[str, Any]]


def success(example: Any) -> Responses:
    """The 200 of an endpoint, shown with the contract's example of it."""
    return {200: {"content": {"application/json": {"example": example}}}}


def documented_error(description: str, example: str) -> dict[str, Any]:
    """An error response as it appears in the OpenAPI document itself."""
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"detail": example},
            }
        },
    }


VALIDATION_ERROR = documented_error(
    "Invalid input: the message names each offending field", "name: Field required"
)

AUTH_ERRORS: Responses = {
    401: error("Missing, invalid, inactive or expired API key", "Invalid API key"),
}


def forbidden(permission: str) -> Responses:
    """The 403 of an endpoint that needs `permission`."""
    responses: Responses = {
        403: error(
            "Permission missing, or store outside the key's store_ids",
            f"Insufficient permissions. Requires '{permission}'",
        )
    }
    return responses
