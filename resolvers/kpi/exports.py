"""KPI exports: what a dashboard's table shows, built once as rows (French headers and dates,
numbers as numbers) and written as CSV or XLSX."""

import base64
from dataclasses import dataclass
from datetime import date
from enum import Enum

from contract.actor import Actor
from infra.spreadsheets import Cell, Column, Kind, Table, csv_bytes, xlsx_bytes
from resolvers.kpi.comparison import KpiComparison
from resolvers.kpi.queries import KpiFilter
from resolvers.kpi.summaries import KpiGroupBy, KpiSummaryRow, kpi_summary

FIRST_COLUMN = {
    KpiGroupBy.DAY: Column("Jour", Kind.DATE),
    KpiGroupBy.WEEK: Column("Semaine", Kind.TEXT),
    KpiGroupBy.MONTH: Column("Mois", Kind.TEXT),
    KpiGroupBy.STORE: Column("Magasin", Kind.TEXT),
    KpiGroupBy.SELLER: Column("Vendeur", Kind.TEXT),
    KpiGroupBy.TOTAL: Column("Période", Kind.TEXT),
}
FIGURE_COLUMNS = [
    Column("Chiffre d'affaires (€)", Kind.MONEY),
    Column("Ventes", Kind.INTEGER),
    Column("Articles", Kind.INTEGER),
    Column("Prospects", Kind.INTEGER),
    Column("Panier moyen (€)", Kind.MONEY),
    Column("Indice de vente", Kind.DECIMAL),
    Column("Taux de transformation", Kind.PERCENT),
    Column("Chiffre d'affaires de comparaison (€)", Kind.MONEY),
    Column("Évolution du chiffre d'affaires", Kind.PERCENT),
]
GROUP_WORDS = {
    KpiGroupBy.DAY: "par-jour",
    KpiGroupBy.WEEK: "par-semaine",
    KpiGroupBy.MONTH: "par-mois",
    KpiGroupBy.STORE: "par-magasin",
    KpiGroupBy.SELLER: "par-vendeur",
    KpiGroupBy.TOTAL: "total",
}


class KpiExportFormat(Enum):
    CSV = "csv"
    XLSX = "xlsx"


CONTENT_TYPES = {
    KpiExportFormat.CSV: "text/csv; charset=utf-8",
    KpiExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class KpiExportFile:
    filename: str
    content_type: str
    content: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.content).decode()


def _row(group_by: KpiGroupBy, row: KpiSummaryRow) -> list[Cell]:
    first: Cell = date.fromisoformat(row.key) if group_by is KpiGroupBy.DAY else row.label
    now = row.current
    return [
        first,
        now.ca,
        now.nb_ventes,
        now.nb_articles,
        now.prospects,
        now.panier_moyen,
        now.indice_de_vente,
        now.taux_transformation,
        row.previous.ca,
        row.change.ca,
    ]


def export_table(group_by: KpiGroupBy, rows: list[KpiSummaryRow], kpi_filter: KpiFilter) -> Table:
    """The rows as the dashboard's table shows them, in the table's order."""
    start, end = date.fromisoformat(kpi_filter.from_), date.fromisoformat(kpi_filter.to)
    title = f"Du {start:%d-%m-%Y} au {end:%d-%m-%Y}"
    ordered = rows
    if group_by in (KpiGroupBy.STORE, KpiGroupBy.SELLER):
        ordered = sorted(rows, key=lambda row: row.current.ca, reverse=True)
    return Table(
        title=title,
        columns=[FIRST_COLUMN[group_by], *FIGURE_COLUMNS],
        rows=[_row(group_by, row) for row in ordered],
    )


async def kpi_export(
    *,
    actor: Actor,
    kpi_filter: KpiFilter,
    group_by: KpiGroupBy,
    compare: KpiComparison,
    file_format: KpiExportFormat,
) -> KpiExportFile:
    """The summary `kpi_summary` answers (same permission and scope), as a file to download."""
    rows = await kpi_summary(actor=actor, kpi_filter=kpi_filter, group_by=group_by, compare=compare)
    table = export_table(group_by, rows, kpi_filter)
    content = csv_bytes(table) if file_format is KpiExportFormat.CSV else xlsx_bytes(table)
    name = f"chiffres-{kpi_filter.from_}-au-{kpi_filter.to}-{GROUP_WORDS[group_by]}"
    return KpiExportFile(
        filename=f"{name}.{file_format.value}",
        content_type=CONTENT_TYPES[file_format],
        content=content,
    )
