"""POST /api/integrations/kpi/sync over HTTP against SecantusDB, and its GraphQL twin syncKpis."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from bson import Decimal128

from contract import messages
from models import KpiEntry, Role, Store, User, UserStatus
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import Outcome, graphql, graphql_input, rest

DATE = "2024-01-15"
# The body of the spec's cURL example, byte for byte.
CURL_BODY = """{
    "store_id": "store-123",
    "date": "2024-01-15",
    "kpi_entries": [
      {
        "seller_id": "seller-456",
        "ca_journalier": 1250.50,
        "nb_ventes": 12,
        "nb_articles": 28,
        "prospects": 35
      }
    ]
  }"""
SYNC = """
mutation Sync($input: KpiSyncInput!) {
  syncKpis(input: $input) { status entriesCreated entriesUpdated total }
}
"""


@dataclass
class World:
    gerant: User
    store: Store
    sellers: list[User]
    key: str

    def curl_body(self) -> str:
        """The spec's cURL body with this world's store and first seller."""
        return CURL_BODY.replace("store-123", self.store.id).replace(
            "seller-456", self.sellers[0].id
        )

    def payload(self, *entries: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """The spec's cURL body, with this world's store and first seller."""
        return {
            "store_id": self.store.id,
            "date": DATE,
            "kpi_entries": list(entries) or [entry(self.sellers[0].id)],
            **fields,
        }


def entry(seller_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "seller_id": seller_id,
        "ca_journalier": 1250.50,
        "nb_ventes": 12,
        "nb_articles": 28,
        "prospects": 35,
        **fields,
    }


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    del client  # Beanie is bound to the app's database once its lifespan runs
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(2)]
    return World(gerant, store, sellers, await make_key(gerant, permissions=["kpi:write"]))


async def post_raw(client: httpx.AsyncClient, key: str, content: str) -> httpx.Response:
    return await client.post(
        "/api/integrations/kpi/sync",
        headers={"X-API-Key": key, "Content-Type": "application/json"},
        content=content,
    )


async def sync(client: httpx.AsyncClient, key: str | None, payload: Any) -> Outcome:
    return await rest(client, "POST", "/kpi/sync", key, json=payload)


async def sync_graphql(client: httpx.AsyncClient, key: str | None, payload: Any) -> Outcome:
    return await graphql(client, SYNC, key, {"input": graphql_input(payload)})


async def raw_amounts() -> dict[str, Any]:
    documents = await KpiEntry.get_motor_collection().find({}).to_list(None)
    return {document["seller_id"]: document["ca_journalier"] for document in documents}


class TestSync:
    async def test_the_spec_curl_example(self, client: httpx.AsyncClient, world: World) -> None:
        response = await post_raw(client, world.key, world.curl_body())
        assert response.status_code == 200
        assert response.json() == {
            "status": "success",
            "entries_created": 1,
            "entries_updated": 0,
            "total": 1,
        }

    async def test_a_resync_updates(self, client: httpx.AsyncClient, world: World) -> None:
        first, second = world.sellers
        await sync(client, world.key, world.payload())
        outcome = await sync(
            client,
            world.key,
            world.payload(entry(first.id, ca_journalier=99.9), entry(second.id, prospects=None)),
        )
        assert (outcome.status, outcome.data) == (
            200,
            {"status": "success", "entries_created": 1, "entries_updated": 1, "total": 2},
        )
        assert await raw_amounts() == {
            first.id: Decimal128("99.90"),
            second.id: Decimal128("1250.50"),
        }

    async def test_amounts_are_stored_as_decimal128(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first, second = world.sellers
        payload = world.payload(entry(first.id, ca_journalier=0.1), entry(second.id))
        assert (await sync(client, world.key, payload)).status == 200
        assert await raw_amounts() == {
            first.id: Decimal128("0.10"),
            second.id: Decimal128("1250.50"),
        }
        saved = await KpiEntry.find_one({"seller_id": second.id})
        assert saved is not None
        assert saved.ca_journalier == Decimal("1250.50")

    async def test_100_entries_in_one_request(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        sellers = [await make_user(world.gerant, Role.SELLER, world.store) for _ in range(100)]
        payload = world.payload(*[entry(seller.id) for seller in sellers])
        outcome = await sync(client, world.key, payload)
        assert outcome.data == {
            "status": "success",
            "entries_created": 100,
            "entries_updated": 0,
            "total": 100,
        }
        assert await KpiEntry.count() == 100
        payload["kpi_entries"].append(entry(world.sellers[0].id))
        outcome = await sync(client, world.key, payload)
        assert (outcome.status, outcome.detail) == (
            400,
            "kpi_entries: Too many entries: 101 (maximum 100 per request)",
        )

    async def test_concurrent_syncs_leave_one_entry(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcomes = await asyncio.gather(
            *[sync(client, world.key, world.payload()) for _ in range(10)]
        )
        # A sync still losing to the others after its retries is told to retry later, having
        # written nothing (a loaded machine makes that likelier); the others count once.
        written = [outcome for outcome in outcomes if outcome.status == 200]
        refused = {(o.status, o.detail) for o in outcomes if o.status != 200}
        assert refused <= {(503, messages.KPI_WRITE_CONFLICT), (503, messages.SERVICE_UNAVAILABLE)}
        assert written
        assert sum(outcome.data["entries_created"] for outcome in written) == 1
        assert sum(outcome.data["entries_updated"] for outcome in written) == len(written) - 1
        assert await KpiEntry.count() == 1

    async def test_graphql_stores_the_same_exact_amount(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first, second = world.sellers
        payload = world.payload(
            entry(first.id, ca_journalier=1250.5, timestamp="2024-01-15T19:30:00+01:00"),
            entry(second.id, ca_journalier=0.29, prospects=None),
        )
        outcome = await sync_graphql(client, world.key, payload)
        assert outcome.data == {
            "status": "success",
            "entriesCreated": 2,
            "entriesUpdated": 0,
            "total": 2,
        }
        assert await raw_amounts() == {
            first.id: Decimal128("1250.50"),
            second.id: Decimal128("0.29"),
        }
        saved = await KpiEntry.find_one({"seller_id": first.id})
        assert saved is not None
        assert saved.timestamp is not None
        assert saved.timestamp.isoformat() == "2024-01-15T18:30:00+00:00"


ENTRIES = """query($f: KpiFilter!) {
  kpiEntries(filter: $f) { edges { node { caJournalier seller { id } } } }
}"""


class TestAmounts:
    """Float noise within 1e-9 of a cent is that cent; decimal strings are amounts too."""

    async def test_float_noise_is_the_cent_it_is_near(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first, second = world.sellers
        # What a till computing 1.1 * 3 and 0.1 + 0.2 sends, as JSON text.
        body = world.curl_body().replace("1250.50", "3.3000000000000003")
        assert (await post_raw(client, world.key, body)).status_code == 200
        payload = world.payload(entry(second.id, ca_journalier=0.1 + 0.2))
        assert (await sync_graphql(client, world.key, payload)).status == 200
        assert await raw_amounts() == {
            first.id: Decimal128("3.30"),
            second.id: Decimal128("0.30"),
        }

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_a_finer_amount_is_refused_on_both_transports(
        self, client: httpx.AsyncClient, world: World, transport: str
    ) -> None:
        call = sync if transport == "rest" else sync_graphql
        for amount in (12.345, "12.345", 0.001):
            payload = world.payload(entry(world.sellers[0].id, ca_journalier=amount))
            outcome = await call(client, world.key, payload)
            assert (outcome.status, outcome.detail) == (
                400,
                f"kpi_entries[0].ca_journalier: {messages.AMOUNT_TOO_PRECISE}",
            )
        assert await KpiEntry.count() == 0

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_decimal_strings_are_amounts(
        self, client: httpx.AsyncClient, world: World, transport: str
    ) -> None:
        call = sync if transport == "rest" else sync_graphql
        first, second = world.sellers
        payload = world.payload(
            entry(first.id, ca_journalier="1250.50"), entry(second.id, ca_journalier="7")
        )
        assert (await call(client, world.key, payload)).status == 200
        assert await raw_amounts() == {
            first.id: Decimal128("1250.50"),
            second.id: Decimal128("7.00"),
        }

    async def test_graphql_money_reads_back_as_it_is_sent_again(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        """Money is one scalar: the string read from kpiEntries is accepted by syncKpis."""
        reader = await make_key(world.gerant, permissions=["kpi:read", "kpi:write"])
        seller = world.sellers[0]
        await sync_graphql(client, reader, world.payload(entry(seller.id, ca_journalier=1250.5)))
        read = await graphql(client, ENTRIES, reader, {"f": {"from": DATE, "to": DATE}})
        [edge] = read.data["edges"]
        assert edge["node"]["caJournalier"] == "1250.50"
        again = world.payload(entry(seller.id, ca_journalier=edge["node"]["caJournalier"]))
        outcome = await sync_graphql(client, reader, again)
        assert (outcome.status, outcome.data["entriesUpdated"]) == (200, 1)
        assert await raw_amounts() == {seller.id: Decimal128("1250.50")}

    async def test_graphql_money_literals_are_read_exactly(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first, second = world.sellers
        entries = (
            f'{{sellerId: "{first.id}", caJournalier: 3.3000000000000003, nbVentes: 1, '
            f'nbArticles: 1}}, {{sellerId: "{second.id}", caJournalier: "980.25", nbVentes: 1, '
            "nbArticles: 1}"
        )
        query = (
            f'mutation {{ syncKpis(input: {{storeId: "{world.store.id}", date: "{DATE}", '
            f"kpiEntries: [{entries}]}}) {{ total }} }}"
        )
        outcome = await graphql(client, query, world.key)
        assert outcome.data == {"total": 2}
        assert await raw_amounts() == {
            first.id: Decimal128("3.30"),
            second.id: Decimal128("980.25"),
        }

    async def test_graphql_refuses_money_of_another_type(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        for amount in (True, {"euros": 1}, [1]):
            payload = world.payload(entry(world.sellers[0].id, ca_journalier=amount))
            outcome = await sync_graphql(client, world.key, payload)
            assert outcome.status == 400
            assert outcome.detail is not None
            assert "Money is a number or a decimal string" in outcome.detail


class TestExternalIds:
    """`store_external_id` and `seller_external_id` answer as our ids do."""

    @staticmethod
    async def name_externally(world: World) -> None:
        await Store.find_one({"_id": world.store.id}).update({"$set": {"external_id": "LYON-001"}})
        for n, seller in enumerate(world.sellers, start=1):
            await User.find_one({"_id": seller.id}).update({"$set": {"external_id": f"S-{n}"}})

    @pytest.mark.parametrize("transport", ["rest", "graphql"])
    async def test_the_same_answer_as_with_our_ids(
        self, client: httpx.AsyncClient, world: World, transport: str
    ) -> None:
        call = sync if transport == "rest" else sync_graphql
        await self.name_externally(world)
        first, second = world.sellers
        by_ids = world.payload(entry(first.id), entry(second.id, ca_journalier=980.25))
        by_external_ids = {
            "store_external_id": "LYON-001",
            "date": DATE,
            "kpi_entries": [
                {**entry("x"), "seller_id": None, "seller_external_id": "S-1"},
                {
                    **entry("x", ca_journalier="980.25"),
                    "seller_id": None,
                    "seller_external_id": "S-2",
                },
            ],
        }
        created = await call(client, world.key, by_external_ids)
        stored_first = await raw_amounts()
        updated = await call(client, world.key, by_ids)
        assert created.status == updated.status == 200
        assert (created.data["total"], updated.data["total"]) == (2, 2)
        assert (
            stored_first
            == await raw_amounts()
            == {
                first.id: Decimal128("1250.50"),
                second.id: Decimal128("980.25"),
            }
        )
        again = await call(client, world.key, by_external_ids)
        assert again.data == updated.data

    async def test_the_spec_body_with_external_ids(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        await self.name_externally(world)
        body = (
            world.curl_body()
            .replace(f'"store_id": "{world.store.id}"', '"store_external_id": "LYON-001"')
            .replace(f'"seller_id": "{world.sellers[0].id}"', '"seller_external_id": "S-1"')
        )
        assert "store_id" not in body
        response = await post_raw(client, world.key, body)
        assert (response.status_code, response.json()) == (
            200,
            {"status": "success", "entries_created": 1, "entries_updated": 0, "total": 1},
        )


class TestRestOnlyInput:
    """Bodies GraphQL's own types already refuse; REST gives the same field-named messages."""

    async def test_invalid_json_is_400(self, client: httpx.AsyncClient, world: World) -> None:
        response = await post_raw(client, world.key, world.curl_body()[:-20])
        assert (response.status_code, response.json()) == (400, {"detail": messages.INVALID_JSON})

    async def test_a_body_that_is_not_an_object_is_400(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        outcome = await sync(client, world.key, [world.payload()])
        assert (outcome.status, outcome.detail) == (
            400,
            "Input should be a valid dictionary or object to extract fields from",
        )

    async def test_numbers_must_be_json_numbers(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        first, second = world.sellers
        payload = world.payload(
            entry(first.id, ca_journalier="1250,50", nb_ventes=True),
            entry(second.id, nb_articles=1.5, prospects="3"),
        )
        outcome = await sync(client, world.key, payload)
        assert (outcome.status, outcome.detail) == (
            400,
            f"kpi_entries[0].ca_journalier: {messages.AMOUNT_NOT_A_NUMBER}; "
            f"kpi_entries[0].nb_ventes: {messages.KPI_NOT_A_NUMBER}; "
            "kpi_entries[1].nb_articles: "
            "Input should be a valid integer, got a number with a fractional part; "
            f"kpi_entries[1].prospects: {messages.KPI_NOT_A_NUMBER}",
        )
        assert await KpiEntry.count() == 0

    async def test_nan_is_refused(self, client: httpx.AsyncClient, world: World) -> None:
        response = await post_raw(client, world.key, world.curl_body().replace("1250.50", "NaN"))
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "kpi_entries[0].ca_journalier: Input should be a finite number"},
        )


Case = Callable[[World], Awaitable[tuple[str | None, dict[str, Any], int, str]]]


async def missing_permission(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    key = await make_key(world.gerant, permissions=["stores:read", "stores:write", "users:write"])
    return key, world.payload(), 403, "Insufficient permissions. Requires 'kpi:write'"


async def store_outside_key_scope(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    other = await make_store(world.gerant)
    key = await make_key(world.gerant, permissions=["kpi:write"], store_ids=[other.id])
    return key, world.payload(), 403, messages.STORE_NOT_IN_KEY_SCOPE


async def unknown_store(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    return world.key, world.payload(store_id="store_unknown"), 404, "Store not found"


async def another_tenants_store(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    other = await make_store(await make_gerant())
    return world.key, world.payload(store_id=other.id), 404, "Store not found"


async def deactivated_store(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    await Store.find_one({"_id": world.store.id}).update({"$set": {"active": False}})
    return world.key, world.payload(), 400, messages.STORE_INACTIVE


async def missing_key(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    return None, world.payload(), 401, messages.MISSING_API_KEY


async def too_many_entries(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    entries = [entry(f"seller-{n}") for n in range(101)]
    detail = "kpi_entries: Too many entries: 101 (maximum 100 per request)"
    return world.key, world.payload(*entries), 400, detail


async def no_entries(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    detail = "kpi_entries: List should have at least 1 item after validation, not 0"
    return world.key, world.payload(kpi_entries=[]), 400, detail


async def impossible_date(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    payload = world.payload(date="2024-02-30")
    return world.key, payload, 400, f"date: {messages.KPI_INVALID_DATE}"


async def unpadded_date(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    payload = world.payload(date="2024-1-5")
    return world.key, payload, 400, f"date: {messages.KPI_INVALID_DATE}"


async def bad_figures(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    first, second = world.sellers
    payload = world.payload(
        entry(first.id, nb_ventes=-1),
        entry(second.id, ca_journalier=12.345, prospects=-2),
    )
    detail = (
        "kpi_entries[0].nb_ventes: Input should be greater than or equal to 0; "
        f"kpi_entries[1].ca_journalier: {messages.AMOUNT_TOO_PRECISE}; "
        "kpi_entries[1].prospects: Input should be greater than or equal to 0"
    )
    return world.key, payload, 400, detail


async def long_source(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    detail = "source: String should have at most 100 characters"
    return world.key, world.payload(source="x" * 101), 400, detail


async def duplicate_seller(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    first, second = world.sellers
    payload = world.payload(entry(first.id), entry(second.id), entry(first.id))
    detail = f"kpi_entries: seller_id appears more than once: {first.id}"
    return world.key, payload, 400, detail


async def unknown_sellers(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    payload = world.payload(entry("seller-b"), entry(world.sellers[0].id), entry("seller-a"))
    detail = "kpi_entries: seller_id not a seller of this store: seller-a, seller-b"
    return world.key, payload, 400, detail


async def seller_of_another_store(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    seller = await make_user(world.gerant, Role.SELLER, await make_store(world.gerant))
    payload = world.payload(entry(world.sellers[0].id), entry(seller.id))
    return world.key, payload, 400, messages.KPI_UNKNOWN_SELLERS.format(ids=seller.id)


async def deleted_seller(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    seller = await make_user(world.gerant, Role.SELLER, world.store, UserStatus.DELETED)
    payload = world.payload(entry(seller.id))
    return world.key, payload, 400, messages.KPI_UNKNOWN_SELLERS.format(ids=seller.id)


async def both_store_references(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    payload = world.payload(store_external_id="LYON-001")
    return world.key, payload, 400, f"store_id: {messages.KPI_STORE_REFERENCE}"


async def no_seller_reference(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    second = {**entry(world.sellers[1].id), "seller_id": None}
    payload = world.payload(entry(world.sellers[0].id), second)
    return world.key, payload, 400, f"kpi_entries[1].seller_id: {messages.KPI_SELLER_REFERENCE}"


async def unknown_store_external_id(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    payload = world.payload(store_id=None, store_external_id="NOWHERE")
    return world.key, payload, 404, messages.STORE_NOT_FOUND


async def store_external_id_outside_key_scope(
    world: World,
) -> tuple[str | None, dict[str, Any], int, str]:
    await make_store(world.gerant, external_id="ELSEWHERE")
    key = await make_key(world.gerant, permissions=["kpi:write"], store_ids=[world.store.id])
    payload = world.payload(store_id=None, store_external_id="ELSEWHERE")
    return key, payload, 403, messages.STORE_NOT_IN_KEY_SCOPE


async def unknown_seller_external_id(world: World) -> tuple[str | None, dict[str, Any], int, str]:
    await make_user(world.gerant, Role.SELLER, await make_store(world.gerant), external_id="AWAY")
    entries = [
        {**entry("x"), "seller_id": None, "seller_external_id": external_id}
        for external_id in ("NOBODY", "AWAY")
    ]
    payload = world.payload(*entries)
    return (
        world.key,
        payload,
        400,
        messages.KPI_UNKNOWN_SELLER_EXTERNAL_IDS.format(ids="AWAY, NOBODY"),
    )


CASES: list[Case] = [
    missing_key,
    missing_permission,
    store_outside_key_scope,
    unknown_store,
    another_tenants_store,
    deactivated_store,
    too_many_entries,
    no_entries,
    impossible_date,
    unpadded_date,
    bad_figures,
    long_source,
    duplicate_seller,
    unknown_sellers,
    seller_of_another_store,
    deleted_seller,
    both_store_references,
    no_seller_reference,
    unknown_store_external_id,
    store_external_id_outside_key_scope,
    unknown_seller_external_id,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
async def test_errors_are_the_same_over_rest_and_graphql(
    client: httpx.AsyncClient, world: World, case: Case
) -> None:
    key, payload, status, detail = await case(world)
    over_rest = await sync(client, key, payload)
    over_graphql = await sync_graphql(client, key, payload)
    assert (over_rest.status, over_rest.detail) == (status, detail)
    assert (over_graphql.status, over_graphql.detail) == (status, detail)
    assert await KpiEntry.count() == 0


async def test_openapi_documents_the_endpoint(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/integrations/kpi/sync"]
    assert set(operation["post"]["responses"]) >= {"200", "400", "401", "403", "404"}
    body = operation["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["kpi"]["value"]["kpi_entries"][0]["ca_journalier"] == 1250.50


KPI_READS = """query($filter: KpiFilter!) {
  kpiEntries(filter: $filter) { edges { node { date caJournalier } } }
  day: kpiSummary(filter: $filter, groupBy: DAY) { key label ca previous { ca } }
  week: kpiSummary(filter: $filter, groupBy: WEEK) { key ca }
  month: kpiSummary(filter: $filter, groupBy: MONTH) { key label ca }
  total: kpiSummary(filter: $filter, groupBy: TOTAL) { key ca previous { ca } }
}"""
OUT_OF_RANGE = "Input should be a date from 1900-01-01 to 2999-12-31"


class TestDateRange:
    """One range of days for writes and reads: what a sync accepts can be read back."""

    @pytest.mark.parametrize(
        ("day", "label", "week"),
        [
            ("1900-01-01", "lundi 1er janvier 1900", "1900-W01"),
            ("2999-12-31", "mardi 31 décembre 2999", "3000-W01"),
        ],
    )
    async def test_the_first_and_last_days_are_written_and_read(
        self, client: httpx.AsyncClient, world: World, day: str, label: str, week: str
    ) -> None:
        key = await make_key(world.gerant, permissions=["kpi:write", "kpi:read"])
        assert (await sync(client, key, world.payload(date=day))).status == 200
        over_rest = await rest(
            client, "GET", f"/kpi?store_id={world.store.id}&from={day}&to={day}", key
        )
        assert over_rest.status == 200
        assert [(d["date"], d["entries"], d["ca_total"]) for d in over_rest.data["days"]] == [
            (day, 1, "1250.50")
        ]
        response = await client.post(
            "/graphql",
            json={"query": KPI_READS, "variables": {"filter": {"from": day, "to": day}}},
            headers={"X-API-Key": key},
        )
        body = response.json()
        assert "errors" not in body, body
        data = body["data"]
        assert data["kpiEntries"]["edges"] == [{"node": {"date": day, "caJournalier": "1250.50"}}]
        assert data["day"] == [
            {"key": day, "label": label, "ca": "1250.50", "previous": {"ca": "0.00"}}
        ]
        assert data["week"] == [{"key": week, "ca": "1250.50"}]
        assert [(row["key"], row["ca"]) for row in data["month"]] == [(day[:7], "1250.50")]
        assert data["total"] == [{"key": "total", "ca": "1250.50", "previous": {"ca": "0.00"}}]

    @pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"])
    async def test_a_day_out_of_range_is_400_on_write_and_read(
        self, client: httpx.AsyncClient, world: World, day: str
    ) -> None:
        key = await make_key(world.gerant, permissions=["kpi:write", "kpi:read"])
        written = await sync(client, key, world.payload(date=day))
        assert (written.status, written.detail) == (400, f"date: {OUT_OF_RANGE}")
        over_graphql = await sync_graphql(client, key, world.payload(date=day))
        assert (over_graphql.status, over_graphql.detail) == (400, f"date: {OUT_OF_RANGE}")
        read = await rest(client, "GET", f"/kpi?store_id={world.store.id}&from={day}&to={day}", key)
        expected = f"from: {OUT_OF_RANGE}; to: {OUT_OF_RANGE}"
        assert (read.status, read.detail) == (400, expected)
        summary = await graphql(
            client,
            "query($f: KpiFilter!) { kpiSummary(filter: $f, groupBy: TOTAL) { ca } }",
            key,
            {"f": {"from": day, "to": day}},
        )
        assert (summary.status, summary.detail) == (400, expected)
        assert await KpiEntry.find_all().count() == 0


class TestTimestamps:
    async def test_a_timestamp_that_leaves_the_calendar_in_utc(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        body = {
            "store_id": store.id,
            "date": DATE,
            "kpi_entries": [entry(seller.id, timestamp="0001-01-01T00:00:00+14:00")],
        }
        over_rest = await sync(client, key, body)
        over_graphql = await sync_graphql(client, key, body)
        assert over_rest.status == over_graphql.status == 400
        assert (
            over_rest.detail
            == "kpi_entries[0].timestamp: Datetime out of range once converted to UTC"
        )

    @pytest.mark.parametrize(
        ("timestamp", "status"), [(1705312800, 200), (253402300800, 400), (-1, 400)]
    )
    async def test_epoch_timestamps_are_seconds(
        self, client: httpx.AsyncClient, timestamp: int, status: int
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        body = {
            "store_id": store.id,
            "date": DATE,
            "kpi_entries": [entry(seller.id, timestamp=timestamp)],
        }
        outcome = await sync(client, key, body)
        assert outcome.status == status
        if status == 400:
            assert outcome.detail == "kpi_entries[0].timestamp: " + messages.KPI_EPOCH_RANGE.format(
                maximum=253402300799
            )
        else:
            entries = await graphql(
                client,
                '{ kpiEntries(filter: {from: "2024-01-15", to: "2024-01-15"}) '
                "{ edges { node { timestamp } } } }",
                key,
            )
            [edge] = entries.data["edges"]
            assert edge["node"]["timestamp"].startswith("2024-01-15T10:00:00")
