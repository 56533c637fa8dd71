"""KPI rollups as arithmetic, without a database: what they hold; `rollup_writes` writes a
sync's store days in its transaction, `projector` folds the store days into their months,
`rollup_admin` rebuilds and checks them from the raw entries.

Per store and day the rollup is recomputed from the day's entries: their sums, each seller's
line and the day's reconciliation checksum, and what of it its month holds (`folded`). Per
store and month one document holds the month's totals, a map of its days and a map of its
sellers, moved by the projector (one writer per store-month, outside the syncs' transactions)
by what changed in the days written since their last fold: syncs of different days of a store
never write the same document, so they never conflict. Nothing is
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
    by_seller = {line.seller_id: line.figures for line in found}
    total = sum(by_seller.values(), Figures())
    document = rollup_document(tenant, RollupKind.STORE_DAY, day, store_id, total)
    document["checksum"] = day_checksum(found)
    document["sellers"] = packed(by_seller)
    return document


def folded_state(day: Mapping[str, Any]) -> dict[str, Any]:
    """What a store day holds as its month has folded it: its sums and its sellers' lines."""
    return {"sums": list(Figures.of_sums(day).as_tuple()), "sellers": day.get("sellers") or "{}"}


def fold_days(
    tenant: KpiTenant,
    store_id: str,
    month: str,
    stored: Mapping[str, Any] | None,
    days: Iterable[Mapping[str, Any]],
) -> dict[str, Any] | None:
    """The store's month rollup `stored` with `days` folded in (store days written since their
    last fold): each day's sums and sellers' lines replace what the month held of it (its
    `folded` state); None once no day has entries. Reads only the days that changed."""
    total = Figures.of_sums(stored) if stored else Figures()
    by_day = unpacked(stored.get("days")) if stored else {}
    by_seller = unpacked(stored.get("sellers")) if stored else {}
    for day in days:
        before = day.get("folded") or {}
        now = Figures.of_sums(day)
        total += now - Figures(*before.get("sums", ()))
        by_day[day["period"]] = now
        for seller_id, line in unpacked(before.get("sellers")).items():
            by_seller[seller_id] = by_seller.get(seller_id, Figures()) - line
        for seller_id, line in unpacked(day.get("sellers")).items():
            by_seller[seller_id] = by_seller.get(seller_id, Figures()) + line
    if not any(figures.entries for figures in by_day.values()):
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
        months[month_of(day)].append(document)
        expected[document["_id"]] = {**document, "folded": folded_state(document)}
    for month, its_days in months.items():
        folded = fold_days(tenant, store_id, month, None, its_days)
        if folded is not None:
            expected[folded["_id"]] = folded
    return expected
