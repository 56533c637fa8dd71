"""Field types shared by input models: trimmed, bounded strings."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from resolvers import messages

MAX_NAME = 200
MAX_TEXT = 500
MAX_PHONE = 50
MAX_ID = 200

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_PHONE)]
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID)
]
ExternalId = Identifier


class Input(BaseModel):
    """Base of every input model: unknown fields are ignored, as the spec's bodies require."""

    model_config = ConfigDict(extra="ignore")


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
