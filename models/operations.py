"""Operation ids: every document a request creates carries one, unique, so that a retry of the
operation finds what an earlier attempt wrote instead of writing it again.

An attempt's answer can be lost after its write committed: the database dies before replying
and the driver's automatic retry reaches a server that no longer knows the first attempt, or
the request answers 503 and its client sends it again with the same Idempotency-Key. Run again
blindly, the create would answer "already exists" (or make a second API key). The id is
written in the same insert as the document, so it is stored exactly when the document is.

Within an operation the creates take `<base>.1`, `<base>.2`… in the order they run: the same
request run again (same Idempotency-Key, same body) makes the same ids. Without an operation
(no Idempotency-Key), each create gets a random id: only the driver's own retry can repeat it.
"""

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar
from uuid import uuid4

from beanie import Document
from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo.errors import DuplicateKeyError

from models.api_key import ApiKey
from models.invitation import Invitation
from models.kpi_import import KpiImport
from models.store import Store
from models.transactions import run_in_transaction
from models.user import User
from models.webhook_endpoint import WebhookEndpoint

Created = TypeVar("Created", Store, User, ApiKey, Invitation, WebhookEndpoint, KpiImport)


@dataclass
class Operation:
    """The ids an operation's creates take; `count` of them so far (0: it created nothing)."""

    base: str
    count: int = 0


_current: ContextVar[Operation | None] = ContextVar("operation", default=None)


@contextmanager
def operation(base: str) -> Iterator[Operation]:
    """Creates made within the block take their operation ids from `base`, in order."""
    current = Operation(base)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def next_operation_id() -> str:
    """The id the next create of the operation will write (without taking it)."""
    sequence = _current.get()
    return uuid4().hex if sequence is None else f"{sequence.base}.{sequence.count + 1}"


def take_operation_id() -> str:
    """The operation's next id, taken: by each insert, and by a change that is not one (a
    rotated secret) but that a retry of the operation must recognise as its own."""
    sequence = _current.get()
    if sequence is None:
        return uuid4().hex
    sequence.count += 1
    return f"{sequence.base}.{sequence.count}"


Then = Callable[[AsyncIOMotorClientSession], Awaitable[object]]


async def insert_once(
    document: Created, *, companions: Sequence[Document] = (), then: Then | None = None
) -> Created:
    """Insert `document` under the operation's next id; if an earlier attempt of the operation
    wrote it already, the document that attempt wrote. A duplicate key that is not ours (a name
    taken by another store) is raised.

    `companions` (under the ids that follow) and `then(session)` (the change's events) are
    written in the same transaction: all of it or nothing, so an earlier attempt's document
    comes back with its companions and events already written, and nothing is written again.
    """
    document.operation_id = take_operation_id()
    for companion in companions:
        companion.operation_id = take_operation_id()

    async def insert_all(session: AsyncIOMotorClientSession) -> None:
        written: list[Document] = [document, *companions]
        for each in written:
            await each.insert(session=session)
        if then is not None:
            await then(session)

    try:
        if companions or then is not None:
            await run_in_transaction(type(document), insert_all)
        else:
            await document.insert()
    except DuplicateKeyError:
        # Within the tenant too: the id is unguessable, but nothing should leave its tenant.
        earlier = await type(document).find_one(
            {"gerant_id": document.gerant_id, "operation_id": document.operation_id}
        )
        if earlier is None:
            raise
        return earlier
    return document
