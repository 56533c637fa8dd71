"""Defects found in the outside review, each over HTTP: bad input answers 400 (never 500), the
audit names the operation that ran, metrics count what was written, emails and passwords
follow their rules, closed stores keep their staff suspended."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from contract import messages
from infra.tokens import TokenSigner
from models import AuditRecord, Role, User, UserStatus
from tests.support.app import services_of
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET
from tests.support.transport import graphql, graphql_input, rest

pytestmark = pytest.mark.usefixtures("client")

DATE = "2024-01-15"
SYNC = "mutation($i: KpiSyncInput!) { syncKpis(input: $i) { total } }"


def sync_body(store_id: str, seller_id: str, **entry: Any) -> dict[str, Any]:
    figures = {"seller_id": seller_id, "ca_journalier": 10, "nb_ventes": 1, "nb_articles": 1}
    return {"store_id": store_id, "date": DATE, "kpi_entries": [{**figures, **entry}]}


def bearer(user: User) -> dict[str, str]:
    token = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1)).issue(user).token
    return {"Authorization": f"Bearer {token}"}


async def gerant_gql(client: httpx.AsyncClient, gerant: User, body: dict[str, Any]) -> Any:
    return (await client.post("/graphql", json=body, headers=bearer(gerant))).json()


class TestBadInputIsA400:
    async def test_a_timestamp_that_leaves_the_calendar_in_utc(
        self, client: httpx.AsyncClient
    ) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        body = sync_body(store.id, seller.id, timestamp="0001-01-01T00:00:00+14:00")
        over_rest = await rest(client, "POST", "/kpi/sync", key, body)
        over_graphql = await graphql(client, SYNC, key, {"i": graphql_input(body)})
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
        outcome = await rest(
            client, "POST", "/kpi/sync", key, sync_body(store.id, seller.id, timestamp=timestamp)
        )
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

    async def test_audit_filters_out_of_range(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        for query in (
            '{ authFailures(from: "0001-01-01T00:00:00+00:00") { count } }',
            "{ apiCallLog(filter: {status: 42}) { edges { cursor } } }",
            '{ apiCallLog(after: "garbage") { edges { cursor } } }',
        ):
            body = await gerant_gql(client, gerant, {"query": query})
            [error] = body["errors"]
            assert error["extensions"]["status"] == 400, query

    async def test_a_garbage_entries_cursor(self, client: httpx.AsyncClient) -> None:
        key = await make_key(await make_gerant())
        for cursor in ("garbage", "!!!", "x" * 5000, "WzFd"):
            outcome = await graphql(
                client,
                'query($a: String) { kpiEntries(filter: {from: "2024-01-01", '
                'to: "2024-01-02"}, after: $a) { edges { cursor } } }',
                key,
                {"a": cursor},
            )
            assert (outcome.status, outcome.detail) == (400, messages.INVALID_CURSOR)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b'"hello"', messages.GRAPHQL_BODY_NOT_OBJECT),
            (b"42", messages.GRAPHQL_BODY_NOT_OBJECT),
            (b"[" * 5000 + b"]" * 5000, messages.BODY_TOO_DEEP),
            (b'{"query": ' + b"[" * 5000 + b"]" * 5000 + b"}", messages.BODY_TOO_DEEP),
        ],
        ids=["string", "number", "nested", "nested-query"],
    )
    async def test_bodies_that_are_not_one_graphql_request(
        self, client: httpx.AsyncClient, body: bytes, message: str
    ) -> None:
        response = await client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, response.text) == (400, message)


class TestAudit:
    async def test_the_operation_that_ran_is_recorded(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        key = await make_key(gerant)
        document = "query First { me { key { id } } } query Second { stores { id } }"
        response = await client.post(
            "/graphql",
            json={"query": document, "operationName": "Second"},
            headers={"X-API-Key": key},
        )
        assert "stores" in response.json()["data"]
        await services_of(client).audit.flush()
        [record] = await AuditRecord.find({"path": "/graphql"}).to_list()
        assert record.operation == "query stores"


class TestMetrics:
    async def test_entries_written_are_counted(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
        key = await make_key(gerant)

        def written(outcome: str) -> float:
            name = "rpai_kpi_entries_written_total"
            return REGISTRY.get_sample_value(name, {"outcome": outcome}) or 0.0

        created, updated = written("created"), written("updated")
        body = sync_body(store.id, sellers[0].id)
        body["kpi_entries"] = [
            {**body["kpi_entries"][0], "seller_id": seller.id} for seller in sellers
        ]
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        body["kpi_entries"] = body["kpi_entries"][:2]
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        assert (written("created") - created, written("updated") - updated) == (3, 2)


class TestAccounts:
    async def test_lookalike_emails_are_the_same_email(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        key = await make_key(gerant)
        path = f"/stores/{store.id}/managers"
        first = await rest(client, "POST", path, key, {"name": "A", "email": "alice@example.com"})
        assert first.status == 200
        fullwidth_a = "\uff41"
        for lookalike in (
            f"{fullwidth_a}lice@example.com",
            "ALICE@EXAMPLE.COM",
            "Alice@Example.com",
        ):
            again = await rest(client, "POST", path, key, {"name": "A", "email": lookalike})
            assert (again.status, again.detail) == (400, messages.EMAIL_TAKEN), lookalike

    async def test_a_whitespace_only_password_is_refused(self, client: httpx.AsyncClient) -> None:
        outcome = await graphql(
            client,
            "mutation($t: String!, $p: String!) { acceptInvitation(token: $t, password: $p) "
            "{ token } }",
            None,
            {"t": "whatever", "p": " " * 12},
        )
        assert (outcome.status, outcome.detail) == (
            400,
            "password: " + messages.PASSWORD_BLANK,
        )

    async def test_staff_of_a_closed_store_stay_suspended(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
        key = await make_key(gerant)
        assert (await rest(client, "DELETE", f"/stores/{store.id}", key)).status == 200
        reactivate = await rest(client, "PUT", f"/users/{seller.id}", key, {"status": "active"})
        assert (reactivate.status, reactivate.detail) == (400, messages.STORE_INACTIVE)
        stored = await User.get(seller.id)
        assert stored is not None
        assert stored.status is UserStatus.SUSPENDED
