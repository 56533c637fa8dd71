"""Input validation shared by both transports: pydantic errors become one readable 400 message."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from contract import messages
from contract.errors import BadRequest

ModelT = TypeVar("ModelT", bound=BaseModel)

TRANSPORT_LOCATIONS = frozenset({"body", "query", "path", "header"})
# Text the database cannot store, however it reached us: one message, as `as_app_error` gives.
UNPAIRED_SURROGATE = "string_unicode"


def field_path(location: Sequence[int | str]) -> str:
    """`kpi_entries[3].nb_ventes` from pydantic's `("kpi_entries", 3, "nb_ventes")`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def format_errors(errors: Iterable[Mapping[str, Any]]) -> str:
    """One line naming each offending field with pydantic's explanation."""
    parts = []
    for error in errors:
        if error.get("type") == UNPAIRED_SURROGATE:
            return messages.INVALID_TEXT
        location = [p for p in error.get("loc", ()) if p not in TRANSPORT_LOCATIONS]
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        path = field_path(location)
        parts.append(f"{path}: {message}" if path else message)
    return "; ".join(parts) or "Invalid request"


def parse(model: type[ModelT], data: object) -> ModelT:
    """Validate `data` into `model`, raising BadRequest with every problem named."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(format_errors(exc.errors())) from None
