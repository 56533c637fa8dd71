"""KPI import jobs: a file of entries (NDJSON or CSV) stored in chunks as it arrives, then
checked and written in the background by whichever API process holds the job's lease.

A job is checked whole first (every line's own errors, and the store-days they refuse), then
written store-day by store-day; its checkpoint (`next_chunk`, `next_group`) moves in the
transaction of what it wrote, so a job taken over after a crash resumes where the last one
stopped and writes nothing twice.
"""

from enum import StrEnum
from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"  # every line written or refused (see `errors`)
    FAILED = "failed"  # the file as a whole could not be read (its CSV header)


class ImportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"


class ImportPhase(StrEnum):
    CHECKING = "checking"  # reading every line for its errors; started over after a crash
    WRITING = "writing"  # writing the store-days no line refuses, from the checkpoint on


class KpiImport(Document):
    id: str = Field(default_factory=partial(new_id, "imp"))  # type: ignore[assignment]
    gerant_id: str
    # The caller's store scope when it was created: the job writes within it, as its sync would.
    store_ids: list[str] | None
    api_key_id: str | None = None  # the key that created it, if a key did (else a session)
    format: ImportFormat
    columns: list[str] | None = None  # a CSV file's, from its header
    status: ImportStatus = ImportStatus.QUEUED
    phase: ImportPhase = ImportPhase.CHECKING
    chunks: int
    lines: int
    lines_done: int = 0
    entries_created: int = 0
    entries_updated: int = 0
    errors: int = 0
    next_chunk: int = 0
    next_group: int = 0
    attempts: int = 0  # runs started; past a few, the job is failed rather than retried
    to_run: bool = True  # until it ends: what the workers claim from
    lease_owner: str | None = None
    lease_until: UtcDateTime | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    started_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None
    expires_at: UtcDateTime | None = None  # set when it ends: kept as long as events
    operation_id: str | None = None  # the operation that created it (models/operations.py)

    class Settings:
        name = "kpi_imports"
        indexes = [
            OPERATION_INDEX,
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                name="tenant_newest",
            ),
            IndexModel(
                [("created_at", ASCENDING)],
                partialFilterExpression={"to_run": True},
                name="to_run",
            ),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]


class KpiImportChunk(Document):
    """About a MiB of an import's file, cut at a line's end; `first_line` numbers its first."""

    id: str  # type: ignore[assignment]  # "<import id>:<seq>", seq zero-padded
    gerant_id: str
    import_id: str
    seq: int
    first_line: int
    data: bytes
    # An upload cut short leaves chunks without a job: they go after a week.
    expires_at: UtcDateTime

    class Settings:
        name = "kpi_import_chunks"
        indexes = [
            IndexModel([("import_id", ASCENDING), ("seq", ASCENDING)], name="import_seq"),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]


class KpiImportError(Document):
    """One refused line of an import; `key` is its store-day (`store_id|date`) when known."""

    id: str  # type: ignore[assignment]  # "<import id>:<line>", line zero-padded
    gerant_id: str
    import_id: str
    line: int
    detail: str
    key: str | None = None
    expires_at: UtcDateTime

    class Settings:
        name = "kpi_import_errors"
        indexes = [
            IndexModel([("import_id", ASCENDING), ("line", ASCENDING)], name="import_line"),
            IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0, name="expires_ttl"),
        ]
