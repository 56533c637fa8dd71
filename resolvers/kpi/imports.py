"""KPI import jobs as callers see them: a file streamed into the database in chunks (never held
whole in memory), then queued for the workers (`import_worker`); the jobs and their refused
lines read back."""

import json
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import suppress
from datetime import timedelta

import pymongo
from beanie import SortDirection
from pymongo.errors import PyMongoError

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, NotFound, TooManyRequests
from contract.permissions import Permission
from models import ImportFormat, KpiImport, KpiImportChunk, KpiImportError
from models.clock import utcnow
from models.operations import insert_once
from resolvers import scopes
from resolvers.kpi.import_lines import header_columns
from resolvers.pagination import Page, check_page_size, page_of

CHUNK_BYTES = 1 << 20  # a stored chunk: about a MiB, cut at a line's end
MAX_LINE_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"
# Each chunk's write has this long (a request's budget is for the whole request; an upload of
# 200 MB makes hundreds of writes).
CHUNK_WRITE_SECONDS = 10.0
UPLOAD_KEPT = timedelta(days=7)  # chunks of an upload cut short, never queued
ERRORS_READ_BATCH = 1000
# A tenant's imports queued or running at once: the files stored and the workers' time one
# tenant can claim before others' imports run (checked before a file is read).
MAX_IMPORTS_IN_FLIGHT = 3
RETRY_AFTER_SECONDS = 60
NEWEST_FIRST = [("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)]


def chunk_id(import_id: str, seq: int) -> str:
    return f"{import_id}:{seq:06d}"


def error_id(import_id: str, line: int) -> str:
    return f"{import_id}:{line:09d}"


class ChunkWriter:
    """Stores an upload as it arrives: whole lines, about CHUNK_BYTES a chunk; counts its lines
    (blank ones aside) and reads a CSV header first."""

    def __init__(self, job: KpiImport) -> None:
        self.job = job
        self.pending = bytearray()
        self.seq = 0
        self.next_line = 1  # the file's number of the first line in `pending`
        self.lines = 0
        self.started = False
        self.columns: list[str] | None = None
        self.header_read = job.format is ImportFormat.NDJSON

    async def add(self, piece: bytes) -> None:
        self.pending += piece
        if not self.started and len(self.pending) >= len(BOM):
            self._start()
        if not self.header_read:
            end = self.pending.find(b"\n")
            if end < 0:
                self._check_tail()
                return
            self._read_header(bytes(self.pending[:end]))
            del self.pending[: end + 1]
        while len(self.pending) >= CHUNK_BYTES:
            cut = self.pending.rfind(b"\n", 0, CHUNK_BYTES)
            if cut < 0:
                self._too_long(self.next_line)
            await self._store(bytes(self.pending[:cut]))
            del self.pending[: cut + 1]
        self._check_tail()

    async def close(self) -> None:
        self._start()
        if not self.header_read:
            self._read_header(bytes(self.pending))
            self.pending.clear()
        if self.pending:
            await self._store(bytes(self.pending))
            self.pending.clear()

    async def discard(self) -> None:
        """Remove what was stored of an upload that will not be queued."""
        await KpiImportChunk.get_motor_collection().delete_many(
            scopes.kpi_import_parts(self.job.gerant_id, import_id=self.job.id)
        )

    def _start(self) -> None:
        self.started = True
        if self.pending.startswith(BOM):  # spreadsheets mark UTF-8 so
            del self.pending[: len(BOM)]

    def _read_header(self, line: bytes) -> None:
        self.columns = header_columns(self.job.format, line.rstrip(b"\r"))
        self.header_read = True
        self.next_line = 2

    def _check_tail(self) -> None:
        """A partial line already over the limit is refused before the rest of it arrives."""
        if len(self.pending) - self.pending.rfind(b"\n") - 1 > MAX_LINE_BYTES:
            self._too_long(self.next_line + self.pending.count(b"\n"))

    def _too_long(self, line: int) -> None:
        raise BadRequest(
            messages.KPI_IMPORT_LINE_TOO_LONG.format(line=line, maximum=MAX_LINE_BYTES)
        )

    async def _store(self, data: bytes) -> None:
        lines = data.split(b"\n")
        for offset, line in enumerate(lines):
            if len(line) > MAX_LINE_BYTES:
                self._too_long(self.next_line + offset)
            self.lines += bool(line.strip())
        document = scopes.new_document(
            self.job.gerant_id,
            _id=chunk_id(self.job.id, self.seq),
            import_id=self.job.id,
            seq=self.seq,
            first_line=self.next_line,
            data=data,
            expires_at=utcnow() + UPLOAD_KEPT,
        )
        with pymongo.timeout(CHUNK_WRITE_SECONDS):
            await KpiImportChunk.get_motor_collection().insert_one(document)
        self.seq += 1
        self.next_line += len(lines)


async def start_import(
    *, actor: Actor, format: ImportFormat, body: AsyncIterable[bytes]
) -> KpiImport:
    """Store the file `body` and queue its import; the job once the file is stored.

    The same operation run again (the same Idempotency-Key) finds the job its first attempt
    queued, and the file sent again is dropped."""
    actor.require(Permission.KPI_WRITE)
    in_flight = await KpiImport.find(scopes.kpi_imports(actor.gerant_id, to_run=True)).count()
    if in_flight >= MAX_IMPORTS_IN_FLIGHT:
        message = messages.KPI_IMPORTS_IN_FLIGHT.format(maximum=MAX_IMPORTS_IN_FLIGHT)
        raise TooManyRequests(message, retry_after=RETRY_AFTER_SECONDS)
    job = KpiImport(
        gerant_id=actor.gerant_id,
        store_ids=None if actor.store_ids is None else sorted(actor.store_ids),
        api_key_id=actor.key_id,
        format=format,
        chunks=0,
        lines=0,
    )
    writer = ChunkWriter(job)
    try:
        async for piece in body:
            await writer.add(piece)
        await writer.close()
        if writer.lines == 0:
            raise BadRequest(messages.KPI_IMPORT_EMPTY)
    except BaseException:
        with suppress(PyMongoError):
            await writer.discard()
        raise
    job.chunks, job.lines, job.columns = writer.seq, writer.lines, writer.columns
    queued = await insert_once(job)
    if queued.id != job.id:
        await writer.discard()
    return queued


async def get_import(*, actor: Actor, import_id: str) -> KpiImport:
    """One of the caller's import jobs; 404 for any other id."""
    actor.require(Permission.KPI_WRITE)
    job = await KpiImport.find_one(scopes.readable_kpi_imports(actor, _id=import_id))
    if job is None:
        raise NotFound(messages.KPI_IMPORT_NOT_FOUND)
    return job


def import_key(job: KpiImport) -> tuple[str]:
    return (job.id,)


async def list_imports(*, actor: Actor, limit: int, starting_after: str | None) -> Page[KpiImport]:
    """The caller's import jobs, newest first, `limit` at a time after the job
    `starting_after` (one of the caller's, else a 400)."""
    actor.require(Permission.KPI_WRITE)
    check_page_size(limit)
    query = scopes.readable_kpi_imports(actor)
    if starting_after is not None:
        anchor = await KpiImport.find_one(scopes.readable_kpi_imports(actor, _id=starting_after))
        if anchor is None:
            raise BadRequest(messages.KPI_IMPORT_CURSOR_UNKNOWN)
        query["$or"] = [
            {"created_at": {"$lt": anchor.created_at}},
            {"created_at": anchor.created_at, "_id": {"$lt": anchor.id}},
        ]
    found = await KpiImport.find(query).sort(NEWEST_FIRST).limit(limit + 1).to_list()
    return page_of(found, limit, import_key)


def refused_key(error: KpiImportError) -> tuple[str]:
    return (str(error.line),)


async def list_refused_lines(
    *, actor: Actor, import_id: str, limit: int, after_line: int | None
) -> Page[KpiImportError]:
    """The job's refused lines by line number, `limit` at a time after line `after_line`."""
    check_page_size(limit)
    job = await get_import(actor=actor, import_id=import_id)
    query = scopes.kpi_import_parts(job.gerant_id, import_id=job.id)
    if after_line is not None:
        query["line"] = {"$gt": after_line}
    found = await KpiImportError.find(query).sort("line").limit(limit + 1).to_list()
    return page_of(found, limit, refused_key)


async def import_errors(*, actor: Actor, import_id: str) -> AsyncIterator[bytes]:
    """The job's refused lines as NDJSON, by line number: `{"line": 17, "detail": "…"}`.
    Checked first, so that a wrong id is a 404 before anything is sent."""
    job = await get_import(actor=actor, import_id=import_id)
    return _error_lines(job)


async def _error_lines(job: KpiImport) -> AsyncIterator[bytes]:
    cursor = (
        KpiImportError.get_motor_collection()
        .find(scopes.kpi_import_parts(job.gerant_id, import_id=job.id), {"line": 1, "detail": 1})
        .sort("line", pymongo.ASCENDING)
        .batch_size(ERRORS_READ_BATCH)
    )
    async for error in cursor:
        line = {"line": error["line"], "detail": error["detail"]}
        yield json.dumps(line, ensure_ascii=False).encode() + b"\n"
