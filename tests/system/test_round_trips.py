"""Round-trip budgets: database commands per request, over REST and GraphQL alike.

Measured in the steady state of an integration (its key in the process's key directory); the
cost of authentication itself is asserted separately.
"""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest

from infra.api_key_format import generate_key
from infra.key_directory import MISS_LOOKUPS
from models import Role
from rpai.settings import Settings
from tests.support.app import key_known
from tests.support.chain import chain
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.round_trips import commands_on
from tests.support.servers import in_process_client
from tests.support.transport import Outcome, graphql, graphql_input, rest

pytestmark = pytest.mark.usefixtures("client")

Call = Callable[[], Awaitable[Outcome]]


def database_name(settings: Settings) -> str:
    assert settings.mongodb_url is not None
    return settings.mongodb_url.rsplit("/", 1)[1]


async def count(settings: Settings, call: Call) -> tuple[Outcome, list[tuple[str, str]]]:
    with commands_on(database_name(settings)) as seen:
        outcome = await call()
    return outcome, seen


def sync_call(client: httpx.AsyncClient, transport: str, key: str, body: dict[str, Any]) -> Call:
    if transport == "rest":
        return lambda: rest(client, "POST", "/kpi/sync", key, body)
    return lambda: graphql(
        client,
        "mutation($i: KpiSyncInput!) { syncKpis(input: $i) { entriesCreated } }",
        key,
        {"i": graphql_input(body)},
    )


async def warm(client: httpx.AsyncClient, key: str) -> None:
    await key_known(client, key)
    assert (await rest(client, "GET", "/me", key)).status == 200


class TestAuthenticationCost:
    async def test_malformed_key_costs_nothing(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        await key_known(client)
        outcome, seen = await count(settings, lambda: rest(client, "GET", "/stores", "sk_live_x"))
        assert (outcome.status, seen) == (401, [])

    async def test_a_key_costs_nothing_once_the_directory_has_it(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        key = await make_key(await make_gerant(), ["stores:write"])
        await key_known(client, key)
        outcome, seen = await count(settings, lambda: rest(client, "GET", "/stores", key))
        assert (outcome.status, seen) == (403, [])

    async def test_a_flood_of_unknown_keys_costs_a_bounded_few_lookups(
        self, settings: Settings
    ) -> None:
        forged = [generate_key() for _ in range(200)]
        unlimited = settings.model_copy(
            update={
                "auth_failures_per_minute": 10_000,
                "anonymous_rate_limit_per_minute": 10_000,
                "rate_limit_per_minute": 10_000,
            }
        )
        async with in_process_client(unlimited) as http:
            await key_known(http)
            with commands_on(database_name(settings)) as seen:
                outcomes = [await rest(http, "GET", "/stores", key) for key in forged]
        assert {outcome.status for outcome in outcomes} == {401}
        assert set(seen) <= {("find", "api_keys")}
        assert len(seen) <= MISS_LOOKUPS.amount + MISS_LOOKUPS.amount  # two seconds' budget


@pytest.mark.parametrize("transport", ["rest", "graphql"])
class TestBudgets:
    async def test_get_stores_within_2(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        for _ in range(5):
            await make_store(gerant)
        key = await make_key(gerant)
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "GET", "/stores", key),
            "graphql": lambda: graphql(client, "{ stores { id name } }", key),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 2, seen

    async def test_post_stores_within_3(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        await warm(client, key)
        body: dict[str, Any] = {"name": "Lyon", "location": "69001 Lyon"}
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "POST", "/stores", key, body),
            "graphql": lambda: graphql(
                client,
                "mutation($i: CreateStoreInput!) { createStore(input: $i) { id } }",
                key,
                {"i": body},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 3, seen

    async def test_delete_store_within_5(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        for role in (Role.MANAGER, Role.SELLER, Role.SELLER):
            await make_user(gerant, role, store)
        key = await make_key(gerant)
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "DELETE", f"/stores/{store.id}", key),
            "graphql": lambda: graphql(
                client,
                "mutation($id: ID!) { deleteStore(storeId: $id) { success } }",
                key,
                {"id": store.id},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        # Events (issue 22): startTransaction rides on the first write and commitTransaction goes to
        # the admin database (not counted here); new: the staff read before suspending (one
        # user.updated each) and the one insert of the events.
        assert len(seen) <= 5, seen

    async def test_get_me_within_1(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "GET", "/me", key),
            "graphql": lambda: graphql(client, "{ me { key { id } gerant { name } } }", key),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 1, seen

    async def test_create_manager_within_4(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        key = await make_key(gerant)
        await warm(client, key)
        body = {"name": "Jean Dupont", "email": "jean@example.com"}
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "POST", f"/stores/{store.id}/managers", key, body),
            "graphql": lambda: graphql(
                client,
                "mutation($s: ID!, $i: CreateManagerInput!) "
                "{ createManager(storeId: $s, input: $i) { id } }",
                key,
                {"s": store.id, "i": body},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 4, seen

    async def test_create_seller_within_5(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        await make_user(gerant, Role.MANAGER, store)
        key = await make_key(gerant)
        await warm(client, key)
        body = {"name": "Marie Martin", "email": "marie@example.com"}
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "POST", f"/stores/{store.id}/sellers", key, body),
            "graphql": lambda: graphql(
                client,
                "mutation($s: ID!, $i: CreateSellerInput!) "
                "{ createSeller(storeId: $s, input: $i) { id managerId } }",
                key,
                {"s": store.id, "i": body},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        # Events (issue 22): startTransaction rides on the first write and commitTransaction goes to
        # the admin database (not counted here); new: the one insert of user.created and
        # invitation.sent.
        assert len(seen) <= 5, seen

    async def test_put_user_within_3(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        key = await make_key(gerant)
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "PUT", f"/users/{seller.id}", key, {"phone": "01"}),
            "graphql": lambda: graphql(
                client,
                'mutation($u: ID!) { updateUser(userId: $u, input: {phone: "01"}) { id } }',
                key,
                {"u": seller.id},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 3, seen

    async def test_delete_user_within_3(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        seller = await make_user(gerant, Role.SELLER, await make_store(gerant))
        key = await make_key(gerant)
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "DELETE", f"/users/{seller.id}", key),
            "graphql": lambda: graphql(
                client,
                "mutation($u: ID!) { deleteUser(userId: $u) { success } }",
                key,
                {"u": seller.id},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        assert len(seen) <= 3, seen

    async def test_kpi_sync_of_100_entries_within_5(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(100)]
        key = await make_key(gerant)
        await warm(client, key)
        # Two new days (every entry created), then the second again (every entry updated).
        for day, writes in (
            ("2024-01-15", ["insert", "bulkWrite"]),
            ("2024-01-16", ["insert", "bulkWrite"]),
            ("2024-01-16", ["bulkWrite"]),
        ):
            body = {
                "store_id": store.id,
                "date": day,
                "kpi_entries": [
                    {"seller_id": s.id, "ca_journalier": 10.5, "nb_ventes": 1, "nb_articles": 2}
                    for s in sellers
                ],
            }
            outcome, seen = await count(settings, sync_call(client, transport, key, body))
            assert outcome.status == 200
            # The store and its sellers; in the transaction the store's day, then the new
            # entries' insert, and the updates, the store days and the event in one bulkWrite.
            # None of the sellers ever moved: none of their entries can be in another store
            # (resolvers/kpi/rollup_writes.py). The months are folded later by the projector
            # (resolvers/kpi/projector.py).
            assert [name for name, _ in seen] == ["find", "find", "find", *writes], seen


@pytest.mark.parametrize("transport", ["rest", "graphql"])
class TestBudgetsOfTheLookupsAndUpdates:
    async def test_list_users_within_1_and_2_with_a_store(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        for role in (Role.MANAGER, Role.SELLER, Role.SELLER):
            await make_user(gerant, role, store)
        key = await make_key(gerant)
        await warm(client, key)
        query = "query($f: UserFilter) { users(filter: $f) { edges { node { id } } } }"
        for filters, budget in (({}, 1), ({"store_id": store.id}, 2)):

            async def call(filters: dict[str, str] = filters) -> Outcome:
                if transport == "rest":
                    query_string = "&".join(f"{k}={v}" for k, v in filters.items())
                    return await rest(client, "GET", f"/users?{query_string}", key)
                return await graphql(client, query, key, {"f": graphql_input(filters)})

            outcome, seen = await count(settings, call)
            assert outcome.status == 200
            assert len(seen) <= budget, seen

    async def test_put_store_within_3(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        key = await make_key(gerant)
        await warm(client, key)
        call: dict[str, Call] = {
            "rest": lambda: rest(client, "PUT", f"/stores/{store.id}", key, {"phone": "01"}),
            "graphql": lambda: graphql(
                client,
                'mutation($s: ID!) { updateStore(storeId: $s, input: {phone: "01"}) { id } }',
                key,
                {"s": store.id},
            ),
        }
        outcome, seen = await count(settings, call[transport])
        assert outcome.status == 200
        # Events (issue 22): startTransaction rides on the first write and commitTransaction goes to
        # the admin database (not counted here); new: the store.updated event's insert
        # (the update itself is now a findAndModify, for the previous attributes).
        assert len(seen) <= 3, seen

    async def test_kpi_sync_by_external_ids_within_7(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant, external_id="LYON-001")
        for n in range(100):
            await make_user(gerant, Role.SELLER, store, external_id=f"S-{n}")
        key = await make_key(gerant)
        await warm(client, key)
        body = {
            "store_external_id": "LYON-001",
            "date": "2024-01-15",
            "kpi_entries": [
                {
                    "seller_external_id": f"S-{n}",
                    "ca_journalier": 10.5,
                    "nb_ventes": 1,
                    "nb_articles": 2,
                }
                for n in range(100)
            ],
        }
        outcome, seen = await count(settings, sync_call(client, transport, key, body))
        assert (
            outcome.status,
            outcome.data["total" if transport == "rest" else "entriesCreated"],
        ) == (
            200,
            100,
        )
        # As by our ids: the store and the sellers are each found by external id in one read.
        assert len(seen) <= 7, seen


@pytest.mark.parametrize("transport", ["rest", "graphql"])
class TestIdempotencyCost:
    def create_store(
        self, client: httpx.AsyncClient, transport: str, key: str, idempotency_key: str | None
    ) -> Call:
        headers = {"X-API-Key": key}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        body: dict[str, Any] = {"name": "Lyon", "location": "69001 Lyon"}
        url, payload = "/api/integrations/stores", body
        if transport == "graphql":
            query = "mutation($i: CreateStoreInput!) { createStore(input: $i) { id } }"
            url, payload = "/graphql", {"query": query, "variables": {"i": body}}

        async def call() -> Outcome:
            response = await client.post(url, json=payload, headers=headers)
            return Outcome(response.status_code, None, response.headers)

        return call

    async def test_without_the_header_nothing_is_spent(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        await warm(client, key)
        outcome, seen = await count(settings, self.create_store(client, transport, key, None))
        assert outcome.status == 200
        assert len(seen) <= 3, seen
        assert all(collection != "idempotency_records" for _, collection in seen), seen

    async def test_first_call_within_2_more_and_replay_within_2(
        self, client: httpx.AsyncClient, settings: Settings, transport: str
    ) -> None:
        key = await make_key(await make_gerant())
        await warm(client, key)
        call = self.create_store(client, transport, key, "order-1")
        outcome, seen = await count(settings, call)
        assert outcome.status == 200
        assert len(seen) <= 3 + 2, seen
        assert [command for command in seen if command[1] == "idempotency_records"] == [
            ("insert", "idempotency_records"),
            ("update", "idempotency_records"),
        ]
        outcome, seen = await count(settings, call)
        assert outcome.data["idempotent-replayed"] == "true"
        assert seen == [("insert", "idempotency_records"), ("find", "idempotency_records")]


GRAPH = """{
  stores {
    id name
    managers { edges { node { id name } } }
    sellers { edges { node { id name externalId } } }
    month: kpiSummary(from: "2025-03-01", to: "2025-03-31", groupBy: MONTH) { key ca }
    bySeller: kpiSummary(from: "2025-03-01", to: "2025-03-31", groupBy: SELLER) { label ca }
  }
}"""


# The page: stores, each with its managers, its sellers and a month's summary.
MONTH = """{
  stores {
    id name
    managers { edges { node { id name } } }
    sellers { edges { node { id name } } }
    kpiSummary(from: "2025-03-01", to: "2025-03-31", groupBy: MONTH) { key ca }
  }
}"""


class TestTheGraphsBudget:
    async def test_stores_with_their_staff_and_month_in_5_whatever_their_number(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        counts = {}
        for stores in (2, 20):
            key = await make_key(await chain(stores))
            await warm(client, key)
            outcome, seen = await count(settings, partial(graphql, client, GRAPH, key))
            assert outcome.status == 200, outcome
            assert len(outcome.data) == stores
            for store in outcome.data:
                assert len(store["managers"]["edges"]) == 1
                assert len(store["sellers"]["edges"]) == 2
                assert store["month"] == [{"key": "2025-03", "ca": "651.00"}]
                assert [row["ca"] for row in store["bySeller"]] == ["325.50", "325.50"]
            # Stores, managers, sellers; each summary's reads (its month, the month before by
            # day, the sellers' months, the edge days before) and the sellers' names.
            assert len(seen) == 9, seen
            counts[stores] = seen
            # The budget and the README's figure: stores, managers, sellers, and the
            # month's summary (this month's rollup, last month's by day).
            month, seen = await count(settings, partial(graphql, client, MONTH, key))
            assert month.status == 200, month
            assert len(seen) == 5, seen
        assert sorted(counts[2]) == sorted(counts[20])
