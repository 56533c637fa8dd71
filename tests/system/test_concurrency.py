"""Concurrent requests on the same data over HTTP: one result, clean answers, never a 500."""

import asyncio
from collections import Counter

import httpx
import pytest

from contract import messages
from models import KpiEntry, KpiRollup, Role, User
from resolvers.kpi.rollup_admin import check_rollups
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import Outcome, rest

pytestmark = pytest.mark.usefixtures("client")

CONCURRENT = 20
# Enough syncs of one entry at once that some exhaust their retries on write conflicts.
RETRIES = 5
CROWD = 150


async def test_syncs_of_the_same_entry_leave_one_document(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    key = await make_key(gerant, permissions=["kpi:write"])

    def body(sales: int) -> dict[str, object]:
        entry = {
            "seller_id": seller.id,
            "ca_journalier": 10.5,
            "nb_ventes": sales,
            "nb_articles": 1,
        }
        return {"store_id": store.id, "date": "2024-01-15", "kpi_entries": [entry]}

    outcomes: list[Outcome] = await asyncio.gather(
        *(rest(client, "POST", "/kpi/sync", key, body(sales)) for sales in range(CONCURRENT))
    )

    refused = [(o.status, o.detail) for o in outcomes if o.status != 200]
    assert set(refused) <= {(503, messages.KPI_WRITE_CONFLICT)}
    counts = sorted(
        (o.data["entries_created"], o.data["entries_updated"]) for o in outcomes if o.status == 200
    )
    assert counts == [(0, 1)] * (len(counts) - 1) + [(1, 0)]
    [stored] = await KpiEntry.find({"seller_id": seller.id}).to_list()
    assert 0 <= stored.nb_ventes < CONCURRENT


async def test_creations_with_the_same_email_leave_one_manager(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    key = await make_key(gerant, permissions=["users:write"])
    emails = [f"{'SAME' if n % 2 else 'same'}@example.com" for n in range(CONCURRENT)]

    outcomes = await asyncio.gather(
        *(
            rest(client, "POST", f"/stores/{store.id}/managers", key, {"name": "M", "email": email})
            for email in emails
        )
    )

    answers = Counter((o.status, o.detail) for o in outcomes)
    assert answers == {(200, None): 1, (400, messages.EMAIL_TAKEN): CONCURRENT - 1}
    [created] = [o.data["manager"] for o in outcomes if o.status == 200]
    managers = await User.find({"email_key": "same@example.com"}).to_list()
    assert [manager.id for manager in managers] == [created["id"]]


async def test_a_crowd_of_syncs_of_one_entry_never_answers_400(client: httpx.AsyncClient) -> None:
    """Syncs that lose every retry to the others are told to retry later (503), and a retry
    with their Idempotency-Key runs again: a 503 is not kept."""
    gerant = await make_gerant()
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    key = await make_key(gerant, permissions=["kpi:write"])
    entry = {"seller_id": seller.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 1}
    body = {"store_id": store.id, "date": "2024-01-15", "kpi_entries": [entry]}

    async def sync(n: int) -> httpx.Response:
        return await client.post(
            "/api/integrations/kpi/sync",
            json=body,
            headers={"X-API-Key": key, "Idempotency-Key": f"sync-{n}"},
        )

    answers = await asyncio.gather(*(sync(n) for n in range(CROWD)))
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 503}, statuses
    for n, answer in enumerate(answers):
        if answer.status_code == 503:
            # Out of retries, or out of the request's time budget: either way, retry later.
            assert answer.json()["detail"] in (
                messages.KPI_WRITE_CONFLICT,
                messages.SERVICE_UNAVAILABLE,
            )
            assert answer.headers["retry-after"] == "5"
            # As a client would, later: the crowd's requests cut short left nothing open.
            for _ in range(RETRIES):
                retried = await sync(n)
                if retried.status_code != 503:
                    break
                await asyncio.sleep(1)
            assert (retried.status_code, "idempotent-replayed" in retried.headers) == (200, False)


async def test_a_chain_syncing_one_day_at_once_is_all_written_and_summed(
    client: httpx.AsyncClient,
) -> None:
    """A chain's stores syncing the same day share no rollup, so none conflicts: all land at
    once, and the rollups equal the entries."""
    gerant = await make_gerant()
    key = await make_key(gerant, permissions=["kpi:write"])
    bodies = []
    for _ in range(CONCURRENT):
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        entry = {"seller_id": seller.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 1}
        bodies.append({"store_id": store.id, "date": "2024-01-15", "kpi_entries": [entry]})
    outcomes = await asyncio.gather(*(rest(client, "POST", "/kpi/sync", key, b) for b in bodies))
    assert Counter(outcome.status for outcome in outcomes) == {200: CONCURRENT}
    assert await check_rollups() == []
    days = await KpiRollup.find({"kind": "store_day", "gerant_id": gerant.id}).to_list()
    assert sorted((day.entries, day.ca_cents) for day in days) == [(1, 1050)] * CONCURRENT
