"""Multi-document transactions: a group of writes applied all together or not at all."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from beanie import Document
from motor.motor_asyncio import AsyncIOMotorClientSession


@asynccontextmanager
async def transaction(document: type[Document]) -> AsyncIterator[AsyncIOMotorClientSession]:
    """A session in a transaction on `document`'s database: committed at the end, or aborted."""
    client = document.get_motor_collection().database.client
    async with await client.start_session() as session, session.start_transaction():
        yield session
