"""KPI reconciliation on SecantusDB: daily totals and checksums of one store."""

import hashlib
from decimal import Decimal

import pytest
from bson import Decimal128

from contract import messages
from contract.credentials import actor_for_user
from contract.errors import Forbidden, NotFound
from contract.validation import parse
from resolvers.kpi.figures import EMPTY_CHECKSUM, DayLine, canonical_day, day_checksum
from resolvers.kpi.reconciliation import (
    KpiReconciliationQuery,
    kpi_reconciliation,
)
from tests.support.factories import make_actor
from tests.support.kpi_history import AWKWARD_DAYS, FROM, TO, Awkward, History

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class TestReconciliation:
    async def test_every_day_with_totals_and_checksums(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"])
        query = parse(
            KpiReconciliationQuery,
            {"store_id": history.paris.id, "from": "2025-03-03", "to": "2025-03-05"},
        )
        found = await kpi_reconciliation(actor=actor, query=query)
        alice_3 = DayLine(history.alice.id, Decimal("60.10"), 1, 3, 6)
        alice_4 = DayLine(history.alice.id, Decimal("40.15"), 1, 2, 0)
        bob_4 = DayLine(history.bob.id, Decimal("0.01"), 1, 1, 3)
        assert (found.store_id, found.date_from, found.date_to) == (
            history.paris.id,
            "2025-03-03",
            "2025-03-05",
        )
        assert [
            (d.date, d.entries, d.ca_total, d.nb_ventes, d.nb_articles, d.prospects, d.checksum)
            for d in found.days
        ] == [
            ("2025-03-03", 1, Decimal("60.10"), 1, 3, 6, day_checksum([alice_3])),
            # Bob, deleted since, still counts: 40.15 + 0.01, (1+1, 2+1, 0+3).
            ("2025-03-04", 2, Decimal("40.16"), 2, 3, 3, day_checksum([bob_4, alice_4])),
            ("2025-03-05", 0, Decimal("0.00"), 0, 0, 0, EMPTY_SHA256),
        ]

    async def test_deactivated_store_keeps_its_history(self, history: History) -> None:
        query = parse(
            KpiReconciliationQuery, {"store_id": history.lyon.id, "from": "2025-03-05", "to": TO}
        )
        found = await kpi_reconciliation(actor=actor_for_user(history.gerant), query=query)
        assert [(d.date, d.ca_total) for d in found.days if d.entries] == [
            ("2025-03-05", Decimal("55.55"))
        ]

    async def test_store_outside_scope_or_unknown(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        query = {"store_id": history.nice.id, "from": FROM, "to": TO}
        with pytest.raises(Forbidden) as forbidden:
            await kpi_reconciliation(actor=actor, query=parse(KpiReconciliationQuery, query))
        assert forbidden.value.message == messages.STORE_NOT_IN_KEY_SCOPE
        with pytest.raises(NotFound) as missing:
            await kpi_reconciliation(
                actor=actor_for_user(history.gerant),
                query=parse(KpiReconciliationQuery, {**query, "store_id": "store_unknown"}),
            )
        assert missing.value.message == "Store not found"


class TestCanonicalForm:
    def test_lines_sorted_by_seller_with_two_decimal_amounts(self) -> None:
        lines = [
            DayLine("seller-789", Decimal("980.25"), 8, 15, 20),
            DayLine("seller-456", Decimal("1250.5"), 12, 28, 35),
        ]
        text = "seller-456|1250.50|12|28|35\nseller-789|980.25|8|15|20\n"
        assert canonical_day(lines) == text
        assert canonical_day([]) == ""
        assert day_checksum([]) == EMPTY_SHA256


async def test_awkward_amounts_are_totalled_to_the_exact_cent(awkward: Awkward) -> None:
    """Fixed totals: a conversion to cents through binary floats would lose 0.03 on the first
    day (0.29, 0.57, 1.13) and 0.01 on the second (19.99)."""
    day1, day2 = AWKWARD_DAYS
    query = parse(KpiReconciliationQuery, {"store_id": awkward.store.id, "from": day1, "to": day2})
    found = await kpi_reconciliation(actor=actor_for_user(awkward.gerant), query=query)
    first, second, third = (seller.id for seller in awkward.sellers)
    lines = [
        [(first, "0.29"), (second, "0.57"), (third, "1.13")],
        [(first, "19.99"), (second, "1250.05")],
    ]
    checksums = [
        day_checksum(DayLine(seller, Decimal(ca), 1, 2, 3) for seller, ca in day) for day in lines
    ]
    assert [(d.date, d.entries, d.ca_total, d.checksum) for d in found.days] == [
        (day1, 3, Decimal("1.99"), checksums[0]),
        (day2, 2, Decimal("1270.04"), checksums[1]),
    ]


class TestChecksum:
    """A day's checksum from its raw entries alone (no database)."""

    def test_sha256_of_one_line_per_entry_sorted_by_seller(self) -> None:
        entries = [
            {
                "seller_id": "seller-789",
                "ca_journalier": Decimal128("980.25"),
                "nb_ventes": 8,
                "nb_articles": 15,
                "prospects": 20,
            },
            # As stored before prospects existed: none.
            {
                "seller_id": "seller-456",
                "ca_journalier": Decimal("1250.5"),
                "nb_ventes": 12,
                "nb_articles": 28,
            },
        ]
        lines = [DayLine.of_document(entry) for entry in entries]
        assert lines == [
            DayLine("seller-789", Decimal("980.25"), 8, 15, 20),
            DayLine("seller-456", Decimal("1250.5"), 12, 28, 0),
        ]
        text = "seller-456|1250.50|12|28|0\nseller-789|980.25|8|15|20\n"
        assert canonical_day(lines) == text
        assert day_checksum(lines) == hashlib.sha256(text.encode()).hexdigest()
        assert day_checksum([]) == EMPTY_CHECKSUM == EMPTY_SHA256

    def test_amounts_are_written_to_the_cent_half_up(self) -> None:
        assert DayLine("s", Decimal("0.005"), 0, 0, 0).canonical() == "s|0.01|0|0|0\n"
