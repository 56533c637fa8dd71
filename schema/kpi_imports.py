"""GraphQL: KPI import jobs — one started from a file's text, their progress and their refused
lines (REST's POST /kpi/imports takes files of any size, streamed)."""

from collections.abc import AsyncIterator
from datetime import datetime

import strawberry

from models import KpiImport as KpiImportDocument
from models import KpiImportError as KpiImportErrorDocument
from resolvers.kpi import imports
from resolvers.pagination import decode_cursor
from schema.access import Caller
from schema.common import Connection, connection
from schema.context import Info
from schema.enums import ImportFormat, ImportStatus


@strawberry.type(description="A refused line of an import's file, and why.")
class KpiImportRefusedLine:
    line: int = strawberry.field(description="Its number in the file (a CSV's header is 1).")
    detail: str = strawberry.field(description="Why, with the messages of a KPI sync.")


def refused_line(error: KpiImportErrorDocument) -> KpiImportRefusedLine:
    return KpiImportRefusedLine(line=error.line, detail=error.detail)


@strawberry.type(description="A KPI import: a file of entries written in the background.")
class KpiImport:
    id: strawberry.ID
    status: ImportStatus
    lines: int = strawberry.field(description="The file's lines of entries.")
    lines_done: int = strawberry.field(description="Lines written or refused so far.")
    entries_created: int
    entries_updated: int
    errors: int = strawberry.field(description="Lines refused: see refusedLines.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @strawberry.field(
        description="Its refused lines by line number, a page at a time (`first` from 1 to "
        "100): complete once it has ended. A store-day with a refused line is not written, "
        "and each of its lines is listed.",
        permission_classes=[Caller],
    )
    async def refused_lines(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[KpiImportRefusedLine]:
        page = await imports.list_refused_lines(
            actor=info.context.actor(),
            import_id=str(self.id),
            limit=first,
            after_line=None if after is None else _line_of(after),
        )
        return connection(page, refused_line)


def _line_of(cursor: str) -> int:
    [line] = decode_cursor(cursor, 1)
    return int(line)


def kpi_import_type(job: KpiImportDocument) -> KpiImport:
    return KpiImport(
        id=strawberry.ID(job.id),
        status=job.status,
        lines=job.lines,
        lines_done=job.lines_done,
        entries_created=job.entries_created,
        entries_updated=job.entries_updated,
        errors=job.errors,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@strawberry.type
class KpiImportQuery:
    @strawberry.field(
        description="One of the caller's KPI imports (permission kpi:write); any other id is "
        "NOT_FOUND.",
        permission_classes=[Caller],
    )
    async def kpi_import(self, info: Info, id: strawberry.ID) -> KpiImport:
        job = await imports.get_import(actor=info.context.actor(), import_id=id)
        return kpi_import_type(job)

    @strawberry.field(
        description="The caller's KPI imports, newest first, a page at a time (permission "
        "kpi:write; `first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def kpi_imports(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[KpiImport]:
        page = await imports.list_imports(
            actor=info.context.actor(),
            limit=first,
            starting_after=None if after is None else decode_cursor(after, 1)[0],
        )
        return connection(page, kpi_import_type)


async def one_part(content: str) -> AsyncIterator[bytes]:
    yield content.encode()


@strawberry.type
class KpiImportMutation:
    @strawberry.mutation(
        description="Import KPI entries from a file's text (permission kpi:write): NDJSON or "
        "CSV, one entry a line, the fields of a sync entry with its store and date. The "
        "request's 1 MiB limit bounds it: larger files go to REST's POST /kpi/imports (200 MB). "
        "Answers once the text is stored; the import runs in the background (kpiImport).",
        permission_classes=[Caller],
    )
    async def start_kpi_import(self, info: Info, format: ImportFormat, content: str) -> KpiImport:
        job = await imports.start_import(
            actor=info.context.actor(), format=format, body=one_part(content)
        )
        return kpi_import_type(job)
