"""How GraphQL input objects reach the rules: as plain dicts, which each field with arguments
validates into the rules' input model (`contract.validation.parse`, pydantic), so a bad value
answers 400 naming the field, exactly as on REST.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from strawberry.types.arguments import InputContext
from strawberry.types.base import (
    StrawberryContainer,
    StrawberryType,
    get_object_definition,
    has_object_definition,
)

InputT = TypeVar("InputT")


def _has_nested_input(field_type: StrawberryType | type) -> bool:
    """Whether a field holds input objects (possibly in a list or optional), not just scalars."""
    while isinstance(field_type, StrawberryContainer):
        field_type = field_type.of_type
    return has_object_definition(field_type)


def plain_input(cls: type[InputT]) -> type[InputT]:
    """Make an input type reach resolvers as a dict keyed by Python (snake_case) field names.

    The rules validate inputs with pydantic anyway; Strawberry's own field-by-field conversion
    into dataclasses cost more than the database write of a 100-entry KPI batch. Fields the
    client left out (and that have no published default) are absent from the dict.
    """
    definition = get_object_definition(cls, strict=True)
    plan: list[tuple[str, str, StrawberryType | type | None]] = []

    def from_input(_type: type, value: Mapping[str, Any], context: InputContext) -> Any:
        if not plan:
            for field in definition.fields:
                field_type = field.resolve_type(type_definition=definition)
                nested = field_type if _has_nested_input(field_type) else None
                plan.append(
                    (context.config.name_converter.from_field(field), field.python_name, nested)
                )
        result: dict[str, Any] = {}
        for graphql_name, python_name, nested in plan:
            if graphql_name in value:
                raw = value[graphql_name]
                result[python_name] = (
                    raw if nested is None else context.convert(raw, nested, graphql_name)
                )
        return result

    definition.from_input = from_input
    return cls
