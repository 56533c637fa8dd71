"""Multi-document transactions: a group of writes applied all together or not at all."""

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from beanie import Document
from motor.motor_asyncio import AsyncIOMotorClientSession


async def _abort_outside_the_budget(session: AsyncIOMotorClientSession) -> None:
    """Abort in a context of its own: when the request's time budget is what ended the
    transaction, an abort made within it would time out too and leave the transaction open
    on the server, holding its writes' locks until it expires."""

    async def abort() -> None:
        await session.abort_transaction()

    await asyncio.create_task(abort(), context=contextvars.Context())


@asynccontextmanager
async def transaction(document: type[Document]) -> AsyncIterator[AsyncIOMotorClientSession]:
    """A session in a transaction on `document`'s database: committed at the end, or aborted."""
    client = document.get_motor_collection().database.client
    async with await client.start_session() as session:
        session.start_transaction()
        try:
            yield session
        except BaseException:
            if session.in_transaction:
                await _abort_outside_the_budget(session)
            raise
        await session.commit_transaction()
