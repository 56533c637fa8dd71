"""The lines of a KPI import file: an NDJSON object or a CSV row each, holding a sync entry's
fields with its store and day, validated by the sync's own rules (`KpiEntryData`).

Lines are numbered as an editor numbers them (a CSV's header is line 1); blank lines are
skipped. A CSV row is one line: a quoted field may not hold a line break.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from contract import messages
from contract.errors import BadRequest
from contract.inputs import ExternalId, Identifier, Input
from contract.validation import format_errors
from models import ImportFormat
from resolvers.kpi.sync import KpiDate, KpiEntryData, mark_unpaired, paired

COLUMNS = (
    "store_id",
    "store_external_id",
    "date",
    "seller_id",
    "seller_external_id",
    "ca_journalier",
    "nb_ventes",
    "nb_articles",
    "prospects",
    "timestamp",
)
REQUIRED_COLUMNS = ("date", "ca_journalier", "nb_ventes", "nb_articles")
COUNT_COLUMNS = frozenset({"nb_ventes", "nb_articles", "prospects"})
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class StoreDay(Input):
    """Where a line's entry goes: the store (by id or external id) and the day."""

    store_id: Annotated[
        Identifier | None,
        paired(messages.KPI_STORE_REFERENCE),
        Field(description="Our id of the store (or give store_external_id)."),
    ] = None
    store_external_id: ExternalId | None = None
    date: KpiDate

    @model_validator(mode="before")
    @classmethod
    def one_store_reference(cls, data: Any) -> Any:
        return mark_unpaired(data, "store_id", "store_external_id")


class ImportLine(StoreDay, KpiEntryData):
    """One line of an import: a sync entry, with its store and day."""


@dataclass(frozen=True)
class ReadLine:
    """A line as read: its number, and its entry or why it is refused (with its store and day
    when those could be read: the store-day it refuses)."""

    number: int
    entry: ImportLine | None
    error: str | None = None
    place: StoreDay | None = None


def check_header(text: str) -> list[str]:
    """A CSV header's column names; 400 naming unknown or missing ones."""
    columns = [name.strip() for name in next(csv.reader([text]), [])]
    unknown = [name for name in columns if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    problems = []
    if unknown:
        problems.append(messages.KPI_IMPORT_UNKNOWN_COLUMNS.format(names=", ".join(unknown)))
    if missing:
        problems.append(messages.KPI_IMPORT_MISSING_COLUMNS.format(names=", ".join(missing)))
    if len(set(columns)) != len(columns):
        problems.append(messages.KPI_IMPORT_REPEATED_COLUMNS)
    if problems:
        raise BadRequest("; ".join(problems))
    return columns


def _csv_value(column: str, text: str) -> object:
    """A cell as JSON would give it: counts and numeric timestamps as numbers, text as text."""
    if column in COUNT_COLUMNS and WHOLE_NUMBER.fullmatch(text):
        return int(text)
    if column == "timestamp" and NUMBER.fullmatch(text):
        return float(text)
    return text


def _csv_fields(columns: list[str], text: str) -> dict[str, object]:
    cells = next(csv.reader([text]), [])
    if len(cells) != len(columns):
        raise ValueError(messages.KPI_IMPORT_CELL_COUNT.format(count=len(cells), size=len(columns)))
    return {
        column: _csv_value(column, cell.strip())
        for column, cell in zip(columns, cells, strict=True)
        if cell.strip()
    }


def _json_fields(text: str) -> dict[str, Any]:
    try:
        fields = json.loads(text)
    except ValueError:
        raise ValueError(messages.KPI_IMPORT_NOT_JSON) from None
    if not isinstance(fields, dict):
        raise ValueError(messages.KPI_IMPORT_NOT_AN_OBJECT)
    return fields


def read_line(number: int, raw: bytes, columns: list[str] | None) -> ReadLine:
    """One line validated: CSV when `columns` (its header's) are given, else NDJSON."""
    try:
        text = raw.decode()
        fields = _json_fields(text) if columns is None else _csv_fields(columns, text)
    except UnicodeDecodeError:
        return ReadLine(number, None, messages.KPI_IMPORT_NOT_UTF8)
    except ValueError as exc:
        return ReadLine(number, None, str(exc))
    try:
        return ReadLine(number, ImportLine.model_validate(fields))
    except ValidationError as exc:
        return ReadLine(number, None, format_errors(exc.errors()), _place(fields))


def _place(fields: dict[str, Any]) -> StoreDay | None:
    try:
        return StoreDay.model_validate(fields)
    except ValidationError:
        return None


def numbered_lines(data: bytes, first_line: int) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a chunk (whole lines), with their numbers in the file."""
    for offset, raw in enumerate(data.split(b"\n")):
        line = raw.rstrip(b"\r")
        if line.strip():
            yield first_line + offset, line


def header_columns(format: ImportFormat, first: bytes) -> list[str] | None:
    """The columns of a CSV file from its first line (None for NDJSON); 400 if unreadable."""
    if format is ImportFormat.NDJSON:
        return None
    try:
        return check_header(first.decode())
    except UnicodeDecodeError:
        raise BadRequest(messages.KPI_IMPORT_NOT_UTF8) from None
