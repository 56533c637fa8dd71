"""KPI entries as they are written, by whichever process writes them: a change stream on the
entries, fanned out in memory to this process's subscribers of the entry's tenant.

The stream is open only while this process has subscribers: otherwise every entry any process
writes would be read and decoded here for no one (a 100-entry sync cost the API 14 ms of CPU
more with it). The first subscriber's entries arrive once the stream is open, a database round
trip after it subscribed. The stream resumes where it stopped after a lost connection (its
resume token), so an entry written meanwhile still arrives; it needs a replica set (MongoDB's,
or the embedded SecantusDB): against a standalone mongod no update is ever delivered.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import OperationFailure, PyMongoError

from models import KpiEntry

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# How long the stream waits on the server for a change: at most this after the last subscriber
# leaves, the stream is closed.
AWAIT_MS = 500
QUEUE_SIZE = 1000
WRITES = frozenset({"insert", "update", "replace"})


@dataclass(eq=False)
class Subscriber:
    """One listener's entries, in the order they were written; `overflowed` once it read too
    slowly to keep QUEUE_SIZE entries (it is then dropped: it must subscribe again)."""

    tenant: str
    queue: asyncio.Queue[KpiEntry] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False


@dataclass
class KpiFeed:
    subscribers: dict[str, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))
    resume_token: Mapping[str, Any] | None = None
    wanted: asyncio.Event = field(default_factory=asyncio.Event)
    following: asyncio.Event = field(default_factory=asyncio.Event)

    @contextmanager
    def subscribe(self, tenant: str) -> Iterator[Subscriber]:
        """Receive the tenant's entries written from now on (from when the stream is open, for
        a first subscriber), while the block runs."""
        subscriber = Subscriber(tenant)
        self.subscribers[tenant].add(subscriber)
        self.wanted.set()
        try:
            yield subscriber
        finally:
            self.subscribers[tenant].discard(subscriber)
            if not self.subscribers[tenant]:
                del self.subscribers[tenant]
            if not self.subscribers:
                self.wanted.clear()

    def publish(self, entry: KpiEntry) -> None:
        for subscriber in list(self.subscribers.get(entry.gerant_id, ())):
            try:
                subscriber.queue.put_nowait(entry)
            except asyncio.QueueFull:
                subscriber.overflowed = True
                self.subscribers[entry.gerant_id].discard(subscriber)

    async def _apply(self, change: dict[str, Any]) -> None:
        if change["operationType"] not in WRITES or not self.subscribers:
            return
        document = change.get("fullDocument")
        if document and document.get("gerant_id") not in self.subscribers:
            return  # nobody here follows this tenant
        entry = (
            KpiEntry.model_validate(document)
            if document
            else await KpiEntry.get(change["documentKey"]["_id"])
        )
        if entry is not None:
            self.publish(entry)

    async def _stream(self) -> None:
        """Read the changes while someone subscribes and the stream lasts (a dropped collection
        ends it)."""
        collection = KpiEntry.get_motor_collection()
        async with collection.watch(
            full_document="updateLookup", resume_after=self.resume_token, max_await_time_ms=AWAIT_MS
        ) as stream:
            self.following.set()
            while self.wanted.is_set() and stream.alive:
                change = await stream.try_next()
                self.resume_token = stream.resume_token
                if change is not None:
                    await self._apply(change)

    async def follow(self) -> None:
        """Follow the entries for the app's lifetime, while someone subscribes, resuming after
        an outage."""
        while True:
            await self.wanted.wait()
            try:
                await self._stream()
            except OperationFailure as exc:
                # The server refused the stream (a resume token past its history, say): start
                # afresh rather than asking for the same again.
                logger.warning("KPI feed: change stream refused (%s)", exc.code)
                self.resume_token = None
            except PyMongoError as exc:
                if self.following.is_set():
                    logger.warning("KPI feed: change stream lost (%s)", type(exc).__name__)
            self.following.clear()
            if self.wanted.is_set():
                await asyncio.sleep(RETRY_SECONDS)
            else:
                self.resume_token = None  # nobody here wants what is written meanwhile
