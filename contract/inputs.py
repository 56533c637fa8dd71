"""Field types shared by input models: trimmed, bounded, one-line strings."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from contract import messages
from models.clock import UtcDateTime

MAX_NAME = 200
MAX_TEXT = 500
MAX_PHONE = 50
MAX_ID = 200

# C0 and C1 controls (tab, CR, LF, NUL, ESC, DEL…) and Unicode's line and paragraph separators.
# Every name and text we keep is one line: a line break in a store's name would reach email
# headers, logs and CSV exports as a second line. Checked before trimming, so a trailing line
# break is refused too rather than silently dropped.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: object) -> object:
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValueError(messages.CONTROL_CHARACTERS)
    return value


# Every name and free text (here and in the other input models) carries it.
OneLine = BeforeValidator(_one_line)

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME), OneLine
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT), OneLine]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_PHONE), OneLine]
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID), OneLine
]
ExternalId = Identifier


def _iso_instant(value: object) -> object:
    """An ISO 8601 date and time read as GraphQL's DateTime reads it (`Z` or an offset; none
    means UTC); a datetime already parsed (by GraphQL) passes as it is."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(messages.TIMESTAMP_INVALID)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(messages.TIMESTAMP_INVALID) from None


# A moment a caller names (`updated_since`): never a number, which could be seconds or
# milliseconds; converted to UTC.
Instant = Annotated[UtcDateTime, BeforeValidator(_iso_instant)]


class Input(BaseModel):
    """Base of every input model: unknown fields are ignored, as the spec's bodies require."""

    model_config = ConfigDict(extra="ignore")


NULL_SCHEMA = {"type": "null"}


def omittable(schema: dict[str, Any]) -> None:
    """Document a field that may be left out but is never null (a validator refuses null).

    Pydantic describes `X | None = None` as nullable; generated clients would then send null.
    """
    alternatives = [item for item in schema.pop("anyOf", []) if item != NULL_SCHEMA]
    schema.pop("default", None)
    if len(alternatives) == 1:
        schema.update(alternatives[0])
    elif alternatives:
        schema["anyOf"] = alternatives


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
Password = Annotated[
    str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
]


def _not_blank(password: str) -> str:
    if not password.strip():
        raise ValueError(messages.PASSWORD_BLANK)
    return password


class NewPassword(Input):
    """A password being chosen: the rules every password follows."""

    password: Annotated[Password, AfterValidator(_not_blank)]
