"""GraphQL: reading KPIs — pages of entries with their store and seller, and summaries."""

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from contract.validation import parse
from models import KpiEntry as KpiEntryDocument
from resolvers.kpi import entries as kpi_entries
from resolvers.kpi import exports as kpi_exports
from resolvers.kpi import queries as kpi_queries
from resolvers.kpi import summaries as kpi_summaries
from resolvers.kpi.comparison import KpiComparison
from schema.access import Caller
from schema.common import Connection, connection
from schema.context import Info, SummaryKey
from schema.money import Money

# Registers the resolvers' enum as the GraphQL enum KpiGroupBy (values SELLER, STORE, ...).
strawberry.enum(
    kpi_summaries.KpiGroupBy,
    description="SELLER and STORE rows are keyed by id, DAY by `2025-03-04`, WEEK by ISO week "
    "`2025-W10`, MONTH by `2025-03`; TOTAL has one row keyed `total`.",
)

strawberry.enum(
    KpiComparison,
    description="What `previous` is: PREVIOUS_PERIOD the days just before; PREVIOUS_WEEKS the "
    "days just before moved back to whole weeks (each day faces the same weekday); "
    "LAST_YEAR_WEEKDAYS 52 weeks earlier; LAST_YEAR the same dates a year earlier.",
)

strawberry.enum(kpi_exports.KpiExportFormat, description="CSV (semicolons) or XLSX.")


@strawberry.type(description="A file to download, its bytes in base64.")
class KpiExportFile:
    filename: str
    content_type: str
    base64: str


@strawberry.type(description="Days from `from` to `to`, inclusive (YYYY-MM-DD).")
class KpiPeriod:
    from_: str = strawberry.field(name="from")
    to: str


@strawberry.input(description="Entries of a period; `from` and `to` inclusive, 366 days at most.")
class KpiFilter:
    from_: str = strawberry.field(name="from", description="YYYY-MM-DD.")
    to: str = strawberry.field(description="YYYY-MM-DD.")
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Default: every store the caller may read."
    )
    seller_ids: list[strawberry.ID] | None = None


@strawberry.type
class KpiStore:
    id: strawberry.ID
    name: str


@strawberry.type
class KpiSeller:
    id: strawberry.ID
    name: str


@strawberry.type(description="One seller's figures for one day.")
class KpiEntry:
    date: str
    ca_journalier: Money = strawberry.field(
        description="Euros, exact: a string with two decimals, e.g. `1250.50`."
    )
    nb_ventes: int
    nb_articles: int
    prospects: int
    source: str
    timestamp: datetime | None
    store_id: strawberry.Private[str]
    seller_id: strawberry.Private[str]

    @strawberry.field(
        description="Deactivated stores included; null only if it was erased.",
        permission_classes=[Caller],
    )
    async def store(self, info: Info) -> KpiStore | None:
        named = await info.context.kpi_stores.load(self.store_id)
        return KpiStore(id=strawberry.ID(named.id), name=named.name) if named else None

    @strawberry.field(
        description="Deleted sellers included; null only if erased.",
        permission_classes=[Caller],
    )
    async def seller(self, info: Info) -> KpiSeller | None:
        named = await info.context.kpi_sellers.load(self.seller_id)
        return KpiSeller(id=strawberry.ID(named.id), name=named.name) if named else None


@strawberry.type(
    description="Money (ca, panierMoyen, prixMoyenArticle) is an exact two-decimal string to the "
    "cent, rounded half-up; ratios are Floats to 4 decimals, null when the denominator is 0."
)
class KpiMetrics:
    ca: Money
    nb_ventes: int
    nb_articles: int
    prospects: int
    panier_moyen: Money | None = strawberry.field(description="ca / nbVentes.")
    indice_de_vente: float | None = strawberry.field(description="nbArticles / nbVentes.")
    taux_transformation: float | None = strawberry.field(description="nbVentes / prospects.")
    prix_moyen_article: Money | None = strawberry.field(description="ca / nbArticles.")


@strawberry.type(
    description="(current - previous) / previous of each metric, to 4 decimals (0.1 = +10 %); "
    "null when the previous value is 0 or null."
)
class KpiChange:
    ca: float | None
    nb_ventes: float | None
    nb_articles: float | None
    prospects: float | None
    panier_moyen: float | None
    indice_de_vente: float | None
    taux_transformation: float | None
    prix_moyen_article: float | None


@strawberry.type
class KpiSummaryRow(KpiMetrics):
    key: str
    label: str
    previous: KpiMetrics = strawberry.field(
        description="The same over the comparison period (`compareTo`, by default the period "
        "of the same length just before `from`); a DAY, WEEK or MONTH row compares with the "
        "days that lie as far back as the comparison period."
    )
    change: KpiChange


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def kpi_filter(given: KpiFilter) -> kpi_queries.KpiFilter:
    return parse(
        kpi_queries.KpiFilter,
        {
            "from": given.from_,
            "to": given.to,
            "store_ids": given.store_ids,
            "seller_ids": given.seller_ids,
        },
    )


def summary_key(
    owner_id: str, from_: str, to: str, group_by: kpi_summaries.KpiGroupBy
) -> SummaryKey:
    """The key a store's or seller's summary over a period loads by, once the period is valid."""
    period = parse(kpi_queries.KpiFilter, {"from": from_, "to": to})
    return SummaryKey(owner_id, period.from_, period.to, group_by)


def kpi_entry(entry: KpiEntryDocument) -> KpiEntry:
    return KpiEntry(
        date=entry.date,
        ca_journalier=Money(entry.ca_journalier),
        nb_ventes=entry.nb_ventes,
        nb_articles=entry.nb_articles,
        prospects=entry.prospects,
        source=entry.source,
        timestamp=entry.timestamp,
        store_id=entry.store_id,
        seller_id=entry.seller_id,
    )


def metric_fields(metrics: kpi_summaries.KpiMetrics) -> dict[str, Any]:
    """The fields KpiMetrics and KpiSummaryRow share."""
    return {
        "ca": metrics.ca,
        "nb_ventes": metrics.nb_ventes,
        "nb_articles": metrics.nb_articles,
        "prospects": metrics.prospects,
        "panier_moyen": metrics.panier_moyen,
        "indice_de_vente": _float(metrics.indice_de_vente),
        "taux_transformation": _float(metrics.taux_transformation),
        "prix_moyen_article": metrics.prix_moyen_article,
    }


def kpi_change(change: kpi_summaries.KpiChange) -> KpiChange:
    return KpiChange(
        ca=_float(change.ca),
        nb_ventes=_float(change.nb_ventes),
        nb_articles=_float(change.nb_articles),
        prospects=_float(change.prospects),
        panier_moyen=_float(change.panier_moyen),
        indice_de_vente=_float(change.indice_de_vente),
        taux_transformation=_float(change.taux_transformation),
        prix_moyen_article=_float(change.prix_moyen_article),
    )


def summary_row(row: kpi_summaries.KpiSummaryRow) -> KpiSummaryRow:
    return KpiSummaryRow(
        key=row.key,
        label=row.label,
        previous=KpiMetrics(**metric_fields(row.previous)),
        change=kpi_change(row.change),
        **metric_fields(row.current),
    )


@strawberry.type
class KpiReportQuery:
    @strawberry.field(
        description="KPI entries in (date, store, seller) order, a page at a time "
        "(permission kpi:read; `first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def kpi_entries(
        self, info: Info, filter: KpiFilter, first: int = 50, after: str | None = None
    ) -> Connection[KpiEntry]:
        actor = info.context.actor()
        page = await kpi_entries.kpi_entries(
            actor=actor, kpi_filter=kpi_filter(filter), first=first, after=after
        )
        return connection(page, kpi_entry)

    @strawberry.field(
        description="KPI totals and ratios per group, with the previous period and the change "
        "(permission kpi:read).",
        permission_classes=[Caller],
    )
    async def kpi_summary(
        self,
        info: Info,
        filter: KpiFilter,
        group_by: kpi_summaries.KpiGroupBy,
        compare_to: KpiComparison = KpiComparison.PREVIOUS_PERIOD,
    ) -> list[KpiSummaryRow]:
        actor = info.context.actor()
        rows = await kpi_summaries.kpi_summary(
            actor=actor, kpi_filter=kpi_filter(filter), group_by=group_by, compare=compare_to
        )
        return [summary_row(row) for row in rows]

    @strawberry.field(
        description="kpiSummary's rows as a file (French headers and dates, numbers as numbers), "
        "as the staff space's tables show them (permission kpi:read).",
        permission_classes=[Caller],
    )
    async def kpi_export(
        self,
        info: Info,
        filter: KpiFilter,
        group_by: kpi_summaries.KpiGroupBy,
        format: kpi_exports.KpiExportFormat,
        compare_to: KpiComparison = KpiComparison.PREVIOUS_PERIOD,
    ) -> KpiExportFile:
        exported = await kpi_exports.kpi_export(
            actor=info.context.actor(),
            kpi_filter=kpi_filter(filter),
            group_by=group_by,
            compare=compare_to,
            file_format=format,
        )
        return KpiExportFile(
            filename=exported.filename,
            content_type=exported.content_type,
            base64=exported.base64,
        )

    @strawberry.field(
        description="The days kpiSummary compares the filter's period with (`compareTo`).",
        permission_classes=[Caller],
    )
    def kpi_comparison_period(
        self, filter: KpiFilter, compare_to: KpiComparison = KpiComparison.PREVIOUS_PERIOD
    ) -> KpiPeriod:
        start, end = kpi_summaries.compared_period(kpi_filter(filter), compare_to)
        return KpiPeriod(from_=start, to=end)
