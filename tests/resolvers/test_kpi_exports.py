"""KPI exports: the rows the dashboard shows, read back from the CSV with `csv` and from the
XLSX with openpyxl (numbers as numbers, French dates and headers)."""

import base64
import csv
import io
from datetime import datetime

import httpx
import openpyxl

from contract.credentials import actor_for_user
from resolvers.kpi.comparison import KpiComparison
from resolvers.kpi.exports import KpiExportFormat, kpi_export
from resolvers.kpi.summaries import KpiGroupBy
from tests.support.factories import make_key
from tests.support.kpi_history import History, period
from tests.support.transport import graphql

HEADERS = [
    "Chiffre d'affaires (€)",
    "Ventes",
    "Articles",
    "Prospects",
    "Panier moyen (€)",
    "Indice de vente",
    "Taux de transformation",
    "Chiffre d'affaires de comparaison (€)",
    "Évolution du chiffre d'affaires",
]


async def exported(
    history: History, group_by: KpiGroupBy, file_format: KpiExportFormat
) -> tuple[str, bytes]:
    found = await kpi_export(
        actor=actor_for_user(history.gerant),
        kpi_filter=period(),
        group_by=group_by,
        compare=KpiComparison.PREVIOUS_PERIOD,
        file_format=file_format,
    )
    return found.filename, found.content


async def test_the_daily_csv_has_french_headers_dates_and_decimal_commas(history: History) -> None:
    name, content = await exported(history, KpiGroupBy.DAY, KpiExportFormat.CSV)
    assert name == "chiffres-2025-03-03-au-2025-03-09-par-jour.csv"
    assert content.startswith(b"\xef\xbb\xbf"), "a byte order mark: Excel reads UTF-8"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Jour", *HEADERS]
    # 2025-03-03: Alice 60.10 (1, 3, 6), compared with 2025-02-24: 50.00 (2, 4, 8).
    assert rows[1] == [
        "03/03/2025", "60,10", "1", "3", "6", "60,10", "3,0000", "0,1667", "50,00", "0,2020"
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == ["03/03/2025", "04/03/2025", "05/03/2025", "09/03/2025"]


async def test_the_xlsx_holds_numbers_and_dates_read_back_by_openpyxl(history: History) -> None:
    name, content = await exported(history, KpiGroupBy.DAY, KpiExportFormat.XLSX)
    assert name == "chiffres-2025-03-03-au-2025-03-09-par-jour.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet.title == "Du 03-03-2025 au 09-03-2025"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Jour", *HEADERS]
    assert values[1] == [datetime(2025, 3, 3), 60.1, 1, 3, 6, 60.1, 3, 0.1667, 50, 0.202]
    # 2025-03-05: Chloé 55.55, no sale: no panier nor indice (blank cells), taux 0/4.
    assert values[3][:9] == [datetime(2025, 3, 5), 55.55, 0, 0, 4, None, None, 0, 0]
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet["B2"].number_format == '# ##0.00 "€"'
    assert sheet["H2"].number_format == "0.0 %"


async def test_the_store_export_is_the_tables_order_by_revenue(history: History) -> None:
    _, content = await exported(history, KpiGroupBy.STORE, KpiExportFormat.XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[:2] for row in rows] == [
        ("Magasin", "Chiffre d'affaires (€)"),
        ("Nice", 1000),
        ("Paris", 100.26),
        ("Lyon", 55.55),
    ]


async def test_a_seller_exports_only_his_own_figures(history: History) -> None:
    found = await kpi_export(
        actor=actor_for_user(history.alice),
        kpi_filter=period(),
        group_by=KpiGroupBy.SELLER,
        compare=KpiComparison.PREVIOUS_PERIOD,
        file_format=KpiExportFormat.CSV,
    )
    rows = list(csv.reader(io.StringIO(found.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[:2] for row in rows[1:]] == [[history.alice.name, "100,25"]]


async def test_over_graphql_the_file_comes_in_base64(
    client: httpx.AsyncClient, history: History
) -> None:
    key = await make_key(history.gerant, ["kpi:read"])
    query = """query($f: KpiFilter!) {
      kpiExport(filter: $f, groupBy: MONTH, format: CSV, compareTo: LAST_YEAR) {
        filename contentType base64
      }
    }"""
    outcome = await graphql(client, query, key, {"f": {"from": "2025-03-01", "to": "2025-03-31"}})
    assert outcome.status == 200, outcome.detail
    assert outcome.data["filename"] == "chiffres-2025-03-01-au-2025-03-31-par-mois.csv"
    assert outcome.data["contentType"] == "text/csv; charset=utf-8"
    text = base64.b64decode(outcome.data["base64"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # March 2025: 10.00 + 1155.81 + 999.99; none a year earlier.
    assert rows[1:] == [
        ["mars 2025", "2165,80", "23", "43", "62", "94,17", "1,8696", "0,3710", "0,00", ""]
    ]


async def test_an_export_needs_kpi_read(client: httpx.AsyncClient, history: History) -> None:
    key = await make_key(history.gerant, ["stores:read"])
    query = """query($f: KpiFilter!) {
      kpiExport(filter: $f, groupBy: DAY, format: XLSX) { filename }
    }"""
    outcome = await graphql(client, query, key, {"f": {"from": "2025-03-01", "to": "2025-03-31"}})
    assert outcome.status == 403
