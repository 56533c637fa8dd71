"""Multi-document transactions: a group of writes applied all together or not at all."""

import asyncio
import contextvars
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from beanie import Document
from motor.motor_asyncio import AsyncIOMotorClientSession, AsyncIOMotorCollection
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

logger = logging.getLogger(__name__)

Collection = AsyncIOMotorCollection[dict[str, Any]]
Write = InsertOne[dict[str, Any]] | ReplaceOne[dict[str, Any]] | UpdateOne | DeleteOne
Result = TypeVar("Result")

# A concurrent transaction writing the same document aborts ours with a write conflict: the
# server labels it TransientTransactionError, and the whole transaction may be run again.
TRANSIENT_TRANSACTION_ERROR = "TransientTransactionError"
WRITE_CONFLICT = 112
MAX_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.01


def namespace(model: type[Document]) -> str:
    """The collection of `model` as a write across collections names it: `database.collection`."""
    collection = model.get_motor_collection()
    return f"{collection.database.name}.{collection.name}"


async def write_across(
    model: type[Document],
    writes: Sequence[Write],
    session: AsyncIOMotorClientSession | None,
    *,
    inserts: Sequence[dict[str, Any]] = (),
) -> None:
    """`inserts` into the collection of `model`, then `writes` to several collections (each
    named by its `namespace`) in order: one insert command, then MongoDB 8.0's client-level
    bulkWrite. The embedded database runs each insert of a bulkWrite as a command of its own:
    500 KPI entries inserted by one command take about 0.3 ms each, against 0.5 in a bulkWrite
    and 0.8 as upserts (`bench/entry_writes.py`)."""
    collection = model.get_motor_collection()
    if inserts:
        await collection.insert_many(inserts, session=session)
    if writes:
        await collection.database.client.bulk_write(writes, session=session)


async def _outside_the_budget(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` in a context of its own: when the request's time budget is what ended the
    transaction, cleanup made within it would time out too and leave the transaction open on
    the server, holding its writes' locks until it expires."""
    await asyncio.create_task(work, context=contextvars.Context())


def _in_transaction(session: AsyncIOMotorClientSession) -> bool:
    """Motor's stubs declare `in_transaction` a method; it is pymongo's property."""
    return bool(session.delegate.in_transaction)


def _outcome_unknown(exc: BaseException, session: AsyncIOMotorClientSession) -> bool:
    """Whether the server may still hold the transaction after our abort: a statement or a
    commit it never answered (a timeout, a lost connection, a cancelled task) can reach it
    after the abort and open the transaction again. A failed statement it answered ended the
    transaction there already."""
    commit_tried = not _in_transaction(session)
    return commit_tried or not isinstance(exc, OperationFailure)


async def _fence(session: AsyncIOMotorClientSession, collection: Collection) -> None:
    """Start and abort the session's next transaction number: the server ends the transaction
    it may still hold under the old number, and refuses any of its statements arriving late."""
    try:
        session.start_transaction()
        await collection.find_one({"_id": None}, session=session)
        await session.abort_transaction()
    except PyMongoError as exc:
        logger.warning("a transaction cut short may stay open until the server expires it: %s", exc)


async def _end(
    session: AsyncIOMotorClientSession, collection: Collection, exc: BaseException
) -> None:
    """Abort, and fence the session when the server may still hold the transaction (judged
    before the abort, which ends the transaction on our side)."""
    unknown = _outcome_unknown(exc, session)
    if _in_transaction(session):
        await session.abort_transaction()
    if unknown:
        await _fence(session, collection)


@asynccontextmanager
async def transaction(document: type[Document]) -> AsyncIterator[AsyncIOMotorClientSession]:
    """A session in a transaction on `document`'s database: committed at the end, or aborted,
    and never left open on the server."""
    collection = document.get_motor_collection()
    async with await collection.database.client.start_session() as session:
        session.start_transaction()
        try:
            yield session
            await session.commit_transaction()
        except BaseException as exc:
            await _outside_the_budget(_end(session, collection, exc))
            raise


def _transient(exc: PyMongoError) -> bool:
    """A conflict with a concurrent transaction, which running again resolves; not a database
    out of reach or out of time (labelled transient too): a rerun would only wait as long
    again before the same 503."""
    if isinstance(exc, ConnectionFailure) or exc.timeout:
        return False
    code = exc.code if isinstance(exc, OperationFailure) else None
    return exc.has_error_label(TRANSIENT_TRANSACTION_ERROR) or code == WRITE_CONFLICT


async def run_in_transaction(
    document: type[Document], work: Callable[[AsyncIOMotorClientSession], Awaitable[Result]]
) -> Result:
    """`work(session)` in a transaction on `document`'s database, run again whole (after a
    short random pause) while a concurrent transaction's write conflict aborts it; a commit
    whose outcome is unknown is never run again."""
    attempt = 1
    while True:
        try:
            async with transaction(document) as session:
                return await work(session)
        except PyMongoError as exc:
            if attempt >= MAX_ATTEMPTS or not _transient(exc):
                raise
        await asyncio.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2**attempt))
        attempt += 1
