"""Opaque string identifiers shared by every document."""

from bson import ObjectId
from pymongo import ASCENDING, IndexModel


def new_id(kind: str) -> str:
    """A new opaque id such as `store_65f1…`; sorts by creation time; clients must not parse it."""
    return f"{kind}_{ObjectId()}"


def is_id(kind: str, value: str) -> bool:
    """Whether `value` has the shape of the ids `new_id(kind)` makes."""
    prefix, _, rest = value.partition("_")
    return prefix == kind and len(rest) == 24 and ObjectId.is_valid(rest)


# Each document a request creates carries its operation id (see models/operations.py): unique,
# so that an operation writes its document once however often it is retried.
OPERATION_INDEX = IndexModel(
    [("operation_id", ASCENDING)],
    unique=True,
    name="operation_unique",
    partialFilterExpression={"operation_id": {"$type": "string"}},
)
