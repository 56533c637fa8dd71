"""KPI rollups as arithmetic, without a database: what a sync changes in them and what they
hold; `rollup_writes` reads and writes them in a sync's transaction, `rollup_admin` rebuilds
and checks them from the raw entries.

Per store and day the rollup is recomputed from the day's entries (it carries the day's
reconciliation checksum). Per store and month one document holds the month's totals, a map of
its days and a map of its sellers: the day is set again, the totals and the sellers move by
the difference between each entry's new and former figures. A sync reads the month and writes
these two (and the same for a store a seller left that day). Nothing is kept per tenant:
every store of a chain syncing the same day would write one document, and conflict.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from models.kpi_rollup import RollupKind
from resolvers.kpi.figures import DayLine, Figures, day_checksum, packed, unpacked
from resolvers.kpi.scope import KpiTenant

Change = dict[str, dict[str, Figures]]  # by store, each seller's figures added (or taken off)


def month_of(day: str) -> str:
    return day[:7]


def rollup_document(
    tenant: KpiTenant, kind: RollupKind, period: str, store_id: str, figures: Figures
) -> dict[str, Any]:
    return {**tenant.rollup(kind, period, store_id), **figures.as_fields(), "checksum": None}


def store_day_document(
    tenant: KpiTenant, store_id: str, day: str, lines: Iterable[DayLine]
) -> dict[str, Any]:
    """A store's day rollup: its entries' sums and their checksum."""
    found = list(lines)
    total = sum((line.figures for line in found), Figures())
    document = rollup_document(tenant, RollupKind.STORE_DAY, day, store_id, total)
    document["checksum"] = day_checksum(found)
    return document


def sync_change(
    store_id: str, new: Mapping[str, DayLine], former: Mapping[str, tuple[str, DayLine]]
) -> Change:
    """What a sync of `new` lines (by seller) in `store_id` changes in the stores' months:
    each seller's new figures added there, his `former` line of the day (its store and
    figures) taken off where it was."""
    change: Change = defaultdict(lambda: defaultdict(Figures))
    for seller_id, line in new.items():
        change[store_id][seller_id] += line.figures
        before = former.get(seller_id)
        if before is not None:
            before_store, before_line = before
            change[before_store][seller_id] -= before_line.figures
    return change


def next_month_document(
    tenant: KpiTenant,
    store_id: str,
    day: str,
    stored: Mapping[str, Any] | None,
    day_total: Figures,
    sellers: Mapping[str, Figures],
) -> dict[str, Any]:
    """A store's month rollup as `stored`, moved by `sellers`' changes, with its `day` set to
    `day_total` (or gone when the day has no entries left). Written whole: SecantusDB applies
    a `$inc` of a hundred sellers' fields slower than it replaces the document."""
    before = Figures.of_sums(stored) if stored else Figures()
    total = before + sum(sellers.values(), Figures())
    document = rollup_document(tenant, RollupKind.STORE_MONTH, month_of(day), store_id, total)
    days = unpacked(stored.get("days") if stored else None)
    days[day] = day_total
    totals = unpacked(stored.get("sellers") if stored else None)
    for seller_id, change in sellers.items():
        totals[seller_id] = totals.get(seller_id, Figures()) + change
    document["days"] = packed(days)
    document["sellers"] = packed(totals)
    return document


def expected_for_store(
    tenant: KpiTenant, store_id: str, days: Mapping[str, Sequence[DayLine]]
) -> dict[str, dict[str, Any]]:
    """Every rollup of one store, by id, computed from all its entries (their lines by day)."""
    expected: dict[str, dict[str, Any]] = {}
    months: dict[str, dict[str, Any]] = {}
    for day, lines in sorted(days.items()):
        document = store_day_document(tenant, store_id, day, lines)
        expected[document["_id"]] = document
        month = months.setdefault(month_of(day), {"total": Figures(), "days": {}, "sellers": {}})
        month["total"] += Figures.of_sums(document)
        month["days"][day] = Figures.of_sums(document)
        for line in lines:
            seller = month["sellers"].get(line.seller_id, Figures())
            month["sellers"][line.seller_id] = seller + line.figures
    for period, month in months.items():
        kind = RollupKind.STORE_MONTH
        document = rollup_document(tenant, kind, period, store_id, month["total"])
        document["days"] = packed(month["days"])
        document["sellers"] = packed(month["sellers"])
        expected[document["_id"]] = document
    return expected
