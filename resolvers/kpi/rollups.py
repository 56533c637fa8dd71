"""KPI rollups as arithmetic, without a database: what they hold; `rollup_writes` writes a
sync's store days in its transaction, `projector` folds the store days into their months,
`rollup_admin` rebuilds and checks them from the raw entries.

Per store and day the rollup is recomputed from the day's entries: their sums, each seller's
line and the day's reconciliation checksum. Per store and month one document holds the month's
totals, a map of its days and a map of its sellers, computed from its store days (at most 31)
by the projector, one writer per store-month, outside the syncs' transactions: syncs of
different days of a store never write the same document, so they never conflict. Nothing is
kept per tenant: every store of a chain syncing the same day would write one document.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from models.kpi_rollup import RollupKind
from resolvers.kpi.figures import DayLine, Figures, day_checksum, packed, unpacked
from resolvers.kpi.scope import KpiTenant


def month_of(day: str) -> str:
    return day[:7]


def rollup_document(
    tenant: KpiTenant, kind: RollupKind, period: str, store_id: str, figures: Figures
) -> dict[str, Any]:
    return {**tenant.rollup(kind, period, store_id), **figures.as_fields(), "checksum": None}


def store_day_document(
    tenant: KpiTenant, store_id: str, day: str, lines: Iterable[DayLine]
) -> dict[str, Any]:
    """A store's day rollup: its entries' sums, each seller's line, and their checksum."""
    found = list(lines)
    total = sum((line.figures for line in found), Figures())
    document = rollup_document(tenant, RollupKind.STORE_DAY, day, store_id, total)
    document["checksum"] = day_checksum(found)
    document["sellers"] = packed({line.seller_id: line.figures for line in found})
    return document


def month_document(
    tenant: KpiTenant, store_id: str, month: str, days: Iterable[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """A store's month rollup from its store-day rollups (None if none has entries): the
    days' sums, each day's, and each seller's over the month."""
    total = Figures()
    by_day: dict[str, Figures] = {}
    by_seller: dict[str, Figures] = {}
    for day in days:
        figures = Figures.of_sums(day)
        if not figures.entries:
            continue
        total += figures
        by_day[day["period"]] = figures
        for seller_id, line in unpacked(day.get("sellers")).items():
            by_seller[seller_id] = by_seller.get(seller_id, Figures()) + line
    if not by_day:
        return None
    document = rollup_document(tenant, RollupKind.STORE_MONTH, month, store_id, total)
    document["days"] = packed(by_day)
    document["sellers"] = packed(by_seller)
    return document


def expected_for_store(
    tenant: KpiTenant, store_id: str, days: Mapping[str, Sequence[DayLine]]
) -> dict[str, dict[str, Any]]:
    """Every rollup of one store, by id, computed from all its entries (their lines by day)."""
    expected: dict[str, dict[str, Any]] = {}
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for day, lines in sorted(days.items()):
        document = store_day_document(tenant, store_id, day, lines)
        expected[document["_id"]] = document
        months[month_of(day)].append(document)
    for month, its_days in months.items():
        folded = month_document(tenant, store_id, month, its_days)
        if folded is not None:
            expected[folded["_id"]] = folded
    return expected
