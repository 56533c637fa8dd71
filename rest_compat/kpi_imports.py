"""REST: KPI import jobs — POST /kpi/imports (a file of entries, streamed), GET /kpi/imports,
GET /kpi/imports/{import_id} and its refused lines, GET /kpi/imports/{import_id}/errors."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from contract import messages
from contract.errors import BadRequest
from contract.inputs import Identifier, omittable
from contract.permissions import Permission
from contract.representations import KpiImport, kpi_import_out
from models import ImportFormat
from resolvers.kpi import imports
from resolvers.pagination import MAX_PAGE
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, Responses, error, forbidden, success

router = APIRouter(tags=["kpi"])

NDJSON = "application/x-ndjson"
FORMATS = {NDJSON: ImportFormat.NDJSON, "text/csv": ImportFormat.CSV}
IMPORT_EXAMPLE: dict[str, Any] = {
    "id": "imp_6753c0ffee0123456789abcd",
    "status": "running",
    "lines": 365000,
    "lines_done": 120000,
    "entries_created": 119980,
    "entries_updated": 0,
    "errors": 20,
    "created_at": "2024-01-16T08:30:00Z",
    "started_at": "2024-01-16T08:30:01Z",
    "finished_at": None,
}
NDJSON_EXAMPLE = (
    '{"store_external_id": "LYON-001", "date": "2024-01-15", "seller_external_id": "SELLER-001",'
    ' "ca_journalier": 1250.5, "nb_ventes": 12, "nb_articles": 28, "prospects": 35}\n'
)
CSV_EXAMPLE = (
    "store_external_id,date,seller_external_id,ca_journalier,nb_ventes,nb_articles,prospects\n"
    "LYON-001,2024-01-15,SELLER-001,1250.50,12,28,35\n"
)
FILE = {"type": "string", "format": "binary"}
NOT_FOUND: Responses = {
    404: error(
        "No such import among the key's (another tenant's id)", messages.KPI_IMPORT_NOT_FOUND
    )
}
READ_ERRORS: Responses = {**AUTH_ERRORS, **forbidden(Permission.KPI_WRITE.value)}


class KpiImportResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    import_: KpiImport = Field(alias="import")


class KpiImportList(BaseModel):
    imports: list[KpiImport]
    has_more: bool = Field(description="Whether more imports follow: ask with starting_after")


class ImportListQuery(BaseModel):
    """Stripe-style pagination of the imports, newest first."""

    limit: int = Field(default=10, ge=1, le=MAX_PAGE, description="How many imports, 1 to 100")
    starting_after: Identifier | None = Field(
        default=None,
        description="The id of the last import read: the page starts with the next older one",
        json_schema_extra=omittable,
    )


def import_format(request: Request) -> ImportFormat:
    """The file's format, from its Content-Type (its parameters, such as charset, aside)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in FORMATS:
        raise BadRequest(messages.KPI_IMPORT_CONTENT_TYPE)
    return FORMATS[media_type]


def result(job: Any) -> KpiImportResult:
    return KpiImportResult(import_=kpi_import_out(job))


@router.post(
    "/kpi/imports",
    status_code=202,
    response_model_by_alias=True,
    responses={
        202: {
            "description": "The file is stored: the import is queued",
            "content": {
                "application/json": {
                    "example": {
                        "import": {
                            **IMPORT_EXAMPLE,
                            "status": "queued",
                            "lines_done": 0,
                            "entries_created": 0,
                            "errors": 0,
                            "started_at": None,
                        }
                    }
                }
            },
        },
        **AUTH_ERRORS,
        400: error(
            "Not NDJSON nor CSV, no entries, a CSV header with unknown or missing columns, or "
            "a line over 64 KiB",
            messages.KPI_IMPORT_CONTENT_TYPE,
        ),
        **forbidden(Permission.KPI_WRITE.value),
        413: error(
            "The file is over RPAI_IMPORT_MAX_BYTES (200 MB by default)", messages.BODY_TOO_LARGE
        ),
        429: error(
            "The tenant's imports queued or running are at their maximum (3), or the rate limit",
            messages.KPI_IMPORTS_IN_FLIGHT.format(maximum=3),
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One entry a line: a sync entry's fields with its store and date",
            "content": {
                NDJSON: {"schema": FILE, "example": NDJSON_EXAMPLE},
                "text/csv": {"schema": FILE, "example": CSV_EXAMPLE},
            },
        }
    },
)
async def create_kpi_import(actor: CurrentActor, request: Request) -> KpiImportResult:
    """Import a file of KPI entries (permission kpi:write): NDJSON or CSV, up to 200 MB. The
    answer comes once the file is stored; the import runs in the background: follow it with
    GET /kpi/imports/{import_id}. A store and date with any refused line is not written at all."""
    job = await imports.start_import(
        actor=actor, format=import_format(request), body=request.stream()
    )
    return result(job)


@router.get(
    "/kpi/imports",
    response_model_by_alias=True,
    responses={
        **success({"imports": [IMPORT_EXAMPLE], "has_more": False}),
        **READ_ERRORS,
        400: error(
            "A limit out of 1-100, or a starting_after that is not one of the key's imports",
            messages.KPI_IMPORT_CURSOR_UNKNOWN,
        ),
    },
)
async def list_kpi_imports(
    actor: CurrentActor, query: Annotated[ImportListQuery, Query()]
) -> KpiImportList:
    """The imports, newest first (permission kpi:write; a key restricted by store_ids sees the
    imports of keys restricted to the same stores)."""
    page = await imports.list_imports(
        actor=actor, limit=query.limit, starting_after=query.starting_after
    )
    return KpiImportList(
        imports=[kpi_import_out(job) for job in page.items], has_more=page.has_next_page
    )


@router.get(
    "/kpi/imports/{import_id}",
    response_model_by_alias=True,
    responses={**success({"import": IMPORT_EXAMPLE}), **READ_ERRORS, **NOT_FOUND},
)
async def get_kpi_import(actor: CurrentActor, import_id: str) -> KpiImportResult:
    """One import and its progress (permission kpi:write)."""
    return result(await imports.get_import(actor=actor, import_id=import_id))


@router.get(
    "/kpi/imports/{import_id}/errors",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One line per refused line of the file, by line number",
            "content": {
                NDJSON: {
                    "schema": FILE,
                    "example": '{"line": 17, "detail": "nb_ventes: Input should be greater '
                    'than or equal to 0"}\n',
                }
            },
        },
        **READ_ERRORS,
        **NOT_FOUND,
    },
)
async def list_kpi_import_errors(actor: CurrentActor, import_id: str) -> StreamingResponse:
    """The import's refused lines as NDJSON (`{"line": 17, "detail": "…"}`), with the
    messages of POST /kpi/sync; complete once the import has ended."""
    lines: AsyncIterator[bytes] = await imports.import_errors(actor=actor, import_id=import_id)
    return StreamingResponse(lines, media_type=NDJSON)
