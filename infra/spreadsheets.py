"""Tables written as CSV (semicolons and decimal commas, as a French spreadsheet opens them) or
as XLSX (XlsxWriter: numbers, dates and percentages as typed cells with display formats)."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

import xlsxwriter

Cell = str | int | Decimal | date | None


class Kind(Enum):
    """How a column's values are shown; the value itself stays a number or a date."""

    TEXT = "text"
    DATE = "date"
    INTEGER = "integer"
    MONEY = "money"
    DECIMAL = "decimal"
    PERCENT = "percent"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]


XLSX_FORMATS = {
    Kind.DATE: {"num_format": "dd/mm/yyyy"},
    Kind.INTEGER: {"num_format": "# ##0"},
    Kind.MONEY: {"num_format": '# ##0.00 "€"'},
    Kind.DECIMAL: {"num_format": "0.00"},
    Kind.PERCENT: {"num_format": "0.0 %"},
}
BOM = "\ufeff"  # tells Excel the CSV is UTF-8


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return str(value)


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV (with a byte order mark), `;`-separated, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in table.columns])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return (BOM + out.getvalue()).encode()


def xlsx_bytes(table: Table) -> bytes:
    """The table as one XLSX sheet: a bold header row, typed cells, readable column widths."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet(table.title[:31])
    bold = book.add_format({"bold": True})
    formats = {kind: book.add_format(spec) for kind, spec in XLSX_FORMATS.items()}
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, column.header, bold)
        longest = max([len(column.header), *(len(_csv_cell(row[col])) for row in table.rows)])
        sheet.set_column(col, col, min(40, longest + 2), formats.get(column.kind))
    for row_number, row in enumerate(table.rows, start=1):
        for col, value in enumerate(row):
            cell_format = formats.get(table.columns[col].kind)
            if value is None:
                sheet.write_blank(row_number, col, None, cell_format)
            elif isinstance(value, date):
                sheet.write_datetime(row_number, col, value, cell_format)
            elif isinstance(value, (int, Decimal)):
                sheet.write_number(row_number, col, float(value), cell_format)
            else:
                sheet.write_string(row_number, col, value, cell_format)
    sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()
