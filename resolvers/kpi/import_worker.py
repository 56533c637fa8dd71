"""The import workers: every API process runs one, and each job is run by whichever process
holds its lease (claimed through the database, renewed at each checkpoint).

A job is checked whole first: every line's own errors are recorded, and a store-day (a store
and a date) with any refused line is refused whole. Then the other store-days are written
through the sync's own writes (`write_store_days`: entries, store days, `kpi.synced` events),
a few store-days a transaction, each transaction moving the job's checkpoint: a job taken over
after a crash resumes at its checkpoint and writes nothing twice (its check, which writes only
its errors, starts over). A store-day whose lines are not together in the file is written in
parts, all of them since none is refused.

Between transactions the worker pauses in proportion to the time it took (RPAI_IMPORT_SHARE):
an import takes a bounded share of the process and of the database.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorClientSession
from pymongo import ASCENDING, ReturnDocument

from contract import messages
from contract.actor import Actor
from contract.errors import AppError
from contract.event_types import EventType
from contract.permissions import Permission
from contract.representations import kpi_import_out
from infra.background import run_logged
from infra.event_log import EventLog
from models import ApiKey, ImportStatus, KpiImport, KpiImportChunk, KpiImportError
from models.clock import utcnow
from models.kpi_import import ImportPhase
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.events import record
from resolvers.kpi.import_lines import ImportLine, ReadLine, StoreDay, numbered_lines, read_line
from resolvers.kpi.imports import error_id
from resolvers.kpi.scope import KpiTenant
from resolvers.kpi.sync import (
    Batch,
    Entry,
    KpiSyncCounts,
    Then,
    entry_of,
    find_sellers,
    store_day_batch,
    write_store_days,
)
from resolvers.stores import get_active_store, get_store_by_external_id, require_active

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # runs of a job (crashes included) before it is failed
STORE_DAYS_PER_WRITE = 25
LINES_BETWEEN_YIELDS = 200  # reading a chunk gives the event loop back this often
SOURCE = "kpi_import"


class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow): stop, it goes on."""


@dataclass(frozen=True)
class Placed:
    """A line read and resolved: its store-day, its seller, or why it is refused."""

    number: int
    key: str | None = None  # `store_id|date`
    seller_id: str | None = None
    entry: ImportLine | None = None
    error: str | None = None


def day_key(store_id: str, day: str) -> str:
    return f"{store_id}|{day}"


@dataclass
class References:
    """The job's stores and sellers as its lines name them, found once each (per run)."""

    actor: Actor
    stores: dict[tuple[str, str], str | AppError] = field(default_factory=dict)
    # By store: its sellers' ids by reference, ("id", id) or ("ext", external id); None if none.
    sellers: dict[str, dict[tuple[str, str], str | None]] = field(default_factory=dict)
    movers: set[str] = field(default_factory=set)  # sellers whose entries may be elsewhere

    async def store_of(self, line: StoreDay) -> str | AppError:
        kind, reference = (
            ("id", line.store_id) if line.store_id is not None else ("ext", line.store_external_id)
        )
        known = self.stores.get((kind, str(reference)))
        if known is None:
            known = await self._find_store(kind, str(reference))
            self.stores[(kind, str(reference))] = known
        return known

    async def _find_store(self, kind: str, reference: str) -> str | AppError:
        try:
            if kind == "id":
                return (await get_active_store(actor=self.actor, store_id=reference)).id
            store = await get_store_by_external_id(actor=self.actor, external_id=reference)
            return require_active(store).id
        except AppError as exc:
            return exc

    async def find_sellers(self, store_id: str, lines: Sequence[ImportLine]) -> None:
        """Look the store's sellers named by `lines` up, in one query, if any is unknown."""
        known = self.sellers.setdefault(store_id, {})
        ids = sorted(
            {e.seller_id for e in lines if e.seller_id and ("id", e.seller_id) not in known}
        )
        external_ids = sorted(
            {
                e.seller_external_id
                for e in lines
                if e.seller_external_id and ("ext", e.seller_external_id) not in known
            }
        )
        if not ids and not external_ids:
            return
        found = await find_sellers(KpiTenant(self.actor.gerant_id), store_id, ids, external_ids)
        self.movers |= found.movers
        for seller_id in ids:
            known[("id", seller_id)] = seller_id if seller_id in found.ids else None
        for external_id in external_ids:
            known[("ext", external_id)] = found.by_external_id.get(external_id)

    def seller_of(self, store_id: str, line: ImportLine) -> str | None:
        known = self.sellers.get(store_id, {})
        if line.seller_id is not None:
            return known.get(("id", line.seller_id))
        return known.get(("ext", str(line.seller_external_id)))


def _unknown_seller(line: ImportLine) -> str:
    if line.seller_id is not None:
        return messages.KPI_UNKNOWN_SELLERS.format(ids=line.seller_id)
    return messages.KPI_UNKNOWN_SELLER_EXTERNAL_IDS.format(ids=line.seller_external_id)


async def _read(job: KpiImport, chunk: dict[str, Any]) -> list[ReadLine]:
    read = []
    for count, (number, raw) in enumerate(numbered_lines(chunk["data"], chunk["first_line"])):
        if count % LINES_BETWEEN_YIELDS == 0:
            await asyncio.sleep(0)
        read.append(read_line(number, raw, job.columns))
    return read


async def _placed(job: KpiImport, chunk: dict[str, Any], references: References) -> list[Placed]:
    """A chunk's lines, each with its store-day and seller, or its own error (and the
    store-day it refuses, when its store and day could be read)."""
    read = await _read(job, chunk)
    stores: dict[int, str | AppError] = {}
    by_store: dict[str, list[ImportLine]] = {}
    for line in read:
        place = line.entry or line.place
        if place is not None:
            store = stores[line.number] = await references.store_of(place)
            if isinstance(store, str) and line.entry is not None:
                by_store.setdefault(store, []).append(line.entry)
    for store_id, entries in by_store.items():
        await references.find_sellers(store_id, entries)
    return [_place(line, stores.get(line.number), references) for line in read]


def _place(line: ReadLine, store: str | AppError | None, references: References) -> Placed:
    place = line.entry or line.place
    if isinstance(store, AppError):
        return Placed(line.number, error=line.error or store.message)
    key = None if store is None or place is None else day_key(store, place.date)
    if line.entry is None or store is None:
        return Placed(line.number, key, error=line.error)
    seller_id = references.seller_of(store, line.entry)
    error = None if seller_id is not None else _unknown_seller(line.entry)
    return Placed(line.number, key, seller_id, line.entry, error)


def _error(
    job: KpiImport, events: EventLog, number: int, detail: str, key: str | None
) -> dict[str, Any]:
    return scopes.new_document(
        job.gerant_id,
        _id=error_id(job.id, number),
        import_id=job.id,
        line=number,
        detail=detail,
        key=key,
        expires_at=events.expiry(utcnow()),
    )


def without_writes(then: Then) -> Callable[[AsyncIOMotorClientSession], Awaitable[None]]:
    """A checkpoint of lines that write nothing (all refused), as a transaction's work."""

    async def work(session: AsyncIOMotorClientSession) -> None:
        await then(session, [])

    return work


async def _actor(job: KpiImport) -> Actor:
    """The job's caller as its sync would be: its tenant, its store scope when it created the
    job, allowed to write, and its key (whose name its refusals give)."""
    store_ids = None if job.store_ids is None else frozenset(job.store_ids)
    key = None
    if job.api_key_id is not None:
        key = await ApiKey.find_one(scopes.api_keys(job.gerant_id, _id=job.api_key_id))
    return Actor(job.gerant_id, frozenset({Permission.KPI_WRITE.value}), store_ids, api_key=key)


@dataclass(frozen=True)
class ImportPolicy:
    """How jobs run: their events' retention, the share of the process's time they take, and
    their lease (far longer than a checkpoint's transaction)."""

    events: EventLog
    share: float
    lease: timedelta


@dataclass
class Run:
    """One worker's run of one job, under its lease."""

    job: KpiImport
    owner: str
    policy: ImportPolicy
    references: References

    def mine(self, **fields: Any) -> dict[str, Any]:
        """The job's filter, while this run holds its lease."""
        return scopes.kpi_imports(
            self.job.gerant_id, _id=self.job.id, lease_owner=self.owner, **fields
        )

    async def renew(self, session: AsyncIOMotorClientSession | None = None, **changes: Any) -> None:
        """Extend the lease with `changes` ($set, and $inc under "inc"); LeaseLost if it ran out."""
        increments = changes.pop("inc", {})
        update: dict[str, Any] = {"$set": {**changes, "lease_until": utcnow() + self.policy.lease}}
        if increments:
            update["$inc"] = increments
        result = await KpiImport.get_motor_collection().update_one(
            self.mine(), update, session=session
        )
        if result.matched_count == 0:
            raise LeaseLost

    async def chunk(self, seq: int) -> dict[str, Any]:
        found = await KpiImportChunk.get_motor_collection().find_one(
            scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id, seq=seq)
        )
        if found is None:
            raise LookupError(f"import {self.job.id}: chunk {seq} missing")
        chunk: dict[str, Any] = found
        return chunk

    async def pause(self, started: float) -> None:
        """Give the process and the database back their share after `started`'s work."""
        spent = time.monotonic() - started
        await asyncio.sleep(spent * (1 - self.policy.share) / self.policy.share)

    async def check(self) -> None:
        """Record every line's own errors, and start writing."""
        errors = KpiImportError.get_motor_collection()
        await errors.delete_many(scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id))
        seen: set[int] = set()  # hashes of (store-day, seller): one entry each per file
        refused = 0
        for seq in range(self.job.chunks):
            started = time.monotonic()
            found = []
            for line in await _placed(self.job, await self.chunk(seq), self.references):
                error = line.error
                if error is None:
                    mark = hash((line.key, line.seller_id))
                    if mark in seen:
                        error = messages.KPI_DUPLICATE_SELLERS.format(ids=line.seller_id)
                    seen.add(mark)
                if error is not None:
                    found.append(_error(self.job, self.policy.events, line.number, error, line.key))
            if found:
                await errors.insert_many(found, ordered=False)
            refused += len(found)
            await self.renew()
            await self.pause(started)
        await self.renew(phase=ImportPhase.WRITING, errors=refused, next_chunk=0, next_group=0)
        self.job.phase, self.job.errors, self.job.next_chunk, self.job.next_group = (
            ImportPhase.WRITING,
            refused,
            0,
            0,
        )

    async def refused_days(self) -> dict[str, int]:
        """Each refused store-day, with the first of its lines refused."""
        first: dict[str, int] = {}
        cursor = KpiImportError.get_motor_collection().find(
            scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id, key={"$ne": None}),
            {"key": 1, "line": 1},
        )
        async for error in cursor:
            first[error["key"]] = min(error["line"], first.get(error["key"], error["line"]))
        return first

    async def refused_lines(self, placed: list[Placed]) -> set[int]:
        """Which of `placed` the check refused (for their own errors, duplicates included)."""
        if not placed:
            return set()
        span = {"$gte": placed[0].number, "$lte": placed[-1].number}
        found = KpiImportError.get_motor_collection().find(
            scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id, line=span),
            {"line": 1},
        )
        return {error["line"] async for error in found}

    async def write(self) -> None:
        """Write every store-day no line refuses, from the checkpoint on."""
        refused = await self.refused_days()
        for seq in range(self.job.next_chunk, self.job.chunks):
            placed = await _placed(self.job, await self.chunk(seq), self.references)
            recorded = await self.refused_lines(placed)
            groups: dict[str, list[Placed]] = {}
            for line in placed:
                if line.error is None and line.key is not None and line.key not in refused:
                    groups.setdefault(line.key, []).append(line)
            day_refused = [
                _error(
                    self.job,
                    self.policy.events,
                    line.number,
                    line.error
                    or messages.KPI_IMPORT_DAY_REFUSED.format(line=refused[str(line.key)]),
                    line.key,
                )
                for line in placed
                if line.number not in recorded and (line.error or line.key in refused)
            ]
            days = list(groups.values())
            first = self.job.next_group if seq == self.job.next_chunk else 0
            written = sum(len(day) for day in days)
            steps = range(first, len(days), STORE_DAYS_PER_WRITE) or [first]
            for start in steps:
                started = time.monotonic()
                end = min(start + STORE_DAYS_PER_WRITE, len(days))
                last = end >= len(days)
                lines = sum(len(day) for day in days[start:end])
                if last:
                    lines += len(placed) - written
                then = self.checkpoint(
                    next_chunk=seq + 1 if last else seq,
                    next_group=0 if last else end,
                    lines=lines,
                    day_refused=day_refused if last else [],
                )
                batches = [self.batch(day) for day in days[start:end]]
                if batches:
                    await write_store_days(batches, then=then)
                else:
                    await run_in_transaction(KpiImport, without_writes(then))
                await self.pause(started)

    def batch(self, day: list[Placed]) -> Batch:
        store_id, date = str(day[0].key).split("|")
        entries: list[Entry] = [
            entry_of(str(line.seller_id), line.entry) for line in day if line.entry
        ]
        return store_day_batch(
            tenant=KpiTenant(self.job.gerant_id),
            store_id=store_id,
            day=date,
            source=SOURCE,
            entries=entries,
            movers=self.references.movers,
            events=self.policy.events,
        )

    def checkpoint(
        self, *, next_chunk: int, next_group: int, lines: int, day_refused: list[dict[str, Any]]
    ) -> Then:
        async def then(session: AsyncIOMotorClientSession, counts: list[KpiSyncCounts]) -> None:
            await self.renew(
                session,
                next_chunk=next_chunk,
                next_group=next_group,
                inc={
                    "lines_done": lines,
                    "entries_created": sum(c.created for c in counts),
                    "entries_updated": sum(c.updated for c in counts),
                    "errors": len(day_refused),
                },
            )
            if day_refused:
                await KpiImportError.get_motor_collection().insert_many(
                    day_refused, session=session
                )

        return then

    async def finish(self, status: ImportStatus) -> None:
        """End the job with its `kpi_import.completed` event, and drop its file in the same
        transaction: a job seen ended has no file left, and a crash leaves none behind."""
        parts = scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id)

        async def end(session: AsyncIOMotorClientSession) -> datetime:
            now = utcnow()
            ended = await KpiImport.get_motor_collection().find_one_and_update(
                self.mine(),
                {
                    "$set": {
                        "status": status.value,
                        "finished_at": now,
                        "expires_at": self.policy.events.expiry(now),
                        "to_run": False,
                        "lease_owner": None,
                    }
                },
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if ended is None:
                raise LeaseLost
            await record(
                session,
                log=self.policy.events,
                gerant_id=self.job.gerant_id,
                type=EventType.KPI_IMPORT_COMPLETED,
                resource=kpi_import_out(KpiImport.model_validate(ended)),
            )
            await KpiImportChunk.get_motor_collection().delete_many(parts, session=session)
            return now

        ended_at = await run_in_transaction(KpiImport, end)
        # Its refused lines are kept as long as it is (each was set to expire from its writing).
        await KpiImportError.get_motor_collection().update_many(
            parts, {"$set": {"expires_at": self.policy.events.expiry(ended_at)}}
        )

    async def run(self) -> None:
        if self.job.attempts > MAX_ATTEMPTS:
            logger.warning("KPI import %s failed %d times: given up", self.job.id, MAX_ATTEMPTS)
            await self.finish(ImportStatus.FAILED)
            return
        if self.job.started_at is None:
            await self.renew(started_at=utcnow())
        if self.job.phase is ImportPhase.CHECKING:
            await self.check()
        await self.write()
        await self.finish(ImportStatus.COMPLETED)


async def _claim(lease: timedelta) -> tuple[KpiImport, str] | None:
    """Lease the oldest job to run whose lease is free (never taken, ended, or given back)."""
    now, owner = utcnow(), uuid4().hex
    found = await KpiImport.get_motor_collection().find_one_and_update(
        {"to_run": True, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
        {
            "$set": {
                "status": ImportStatus.RUNNING.value,
                "lease_owner": owner,
                "lease_until": now + lease,
            },
            "$inc": {"attempts": 1},
        },
        sort=[("created_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    return None if found is None else (KpiImport.model_validate(found), owner)


async def _give_back(job: KpiImport, owner: str) -> None:
    """Free a job this process stops running (it shuts down): another takes it at once."""
    await KpiImport.get_motor_collection().update_one(
        scopes.kpi_imports(job.gerant_id, _id=job.id, lease_owner=owner),
        {"$set": {"lease_until": None, "lease_owner": None}, "$inc": {"attempts": -1}},
    )


async def run_imports(policy: ImportPolicy) -> int:
    """Run the jobs due, one after another, until none is left; how many were run."""
    ran = 0
    while (claimed := await _claim(policy.lease)) is not None:
        job, owner = claimed
        try:
            await Run(job, owner, policy, References(await _actor(job))).run()
        except LeaseLost:
            logger.warning("KPI import %s: lease lost, another worker goes on", job.id)
        except asyncio.CancelledError:
            await asyncio.shield(_give_back(job, owner))
            raise
        ran += 1
    return ran


async def import_worker(policy: ImportPolicy, poll_seconds: float) -> None:
    """Run the jobs due every `poll_seconds`, while the process lives."""
    while True:
        await run_logged(partial(run_imports, policy))
        await asyncio.sleep(poll_seconds)
