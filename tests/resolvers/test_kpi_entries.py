"""Pages of KPI entries on SecantusDB: order, cursors, scope."""

from decimal import Decimal

import pytest

from contract.credentials import actor_for_user
from contract.errors import BadRequest
from resolvers.kpi.entries import kpi_entries
from tests.support.factories import make_actor
from tests.support.kpi_history import History, period


class TestEntries:
    async def test_pages_in_date_store_seller_order(self, history: History) -> None:
        actor = actor_for_user(history.gerant)
        seen: list[tuple[str, str, Decimal]] = []
        after: str | None = None
        pages = []
        while True:
            page = await kpi_entries(actor=actor, kpi_filter=period(), first=2, after=after)
            pages.append(len(page.items))
            seen += [(e.date, e.seller_id, e.ca_journalier) for e in page.items]
            if not page.has_next_page:
                break
            after = page.end_cursor
        assert pages == [2, 2, 1]
        assert seen == [
            ("2025-03-03", history.alice.id, Decimal("60.10")),
            ("2025-03-04", history.alice.id, Decimal("40.15")),
            ("2025-03-04", history.bob.id, Decimal("0.01")),
            ("2025-03-05", history.chloe.id, Decimal("55.55")),
            ("2025-03-09", history.david.id, Decimal("1000.00")),
        ]

    async def test_restricted_key_and_seller_filter(self, history: History) -> None:
        actor = await make_actor(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        page = await kpi_entries(
            actor=actor, kpi_filter=period(seller_ids=[history.bob.id]), first=50, after=None
        )
        assert [(e.date, e.store_id, e.seller_id) for e in page.items] == [
            ("2025-03-04", history.paris.id, history.bob.id)
        ]
        assert (page.has_next_page, page.end_cursor is not None) == (False, True)

    @pytest.mark.parametrize(
        "cursor",
        ["", "!!!", "bm90IGpzb24=", "WzEsMiwzXQ==", "WyJhIiwiYiJd", "éé"],
        ids=["empty", "not-base64", "not-json", "numbers", "two-parts", "non-ascii"],
    )
    async def test_invalid_cursor(self, history: History, cursor: str) -> None:
        with pytest.raises(BadRequest) as caught:
            await kpi_entries(
                actor=actor_for_user(history.gerant), kpi_filter=period(), first=2, after=cursor
            )
        assert caught.value.message == "after: invalid cursor"

    @pytest.mark.parametrize("first", [0, 101])
    async def test_page_size_bounds(self, history: History, first: int) -> None:
        with pytest.raises(BadRequest) as caught:
            await kpi_entries(
                actor=actor_for_user(history.gerant), kpi_filter=period(), first=first, after=None
            )
        assert caught.value.message == "first: must be between 1 and 100"
