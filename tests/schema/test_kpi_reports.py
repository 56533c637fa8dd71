"""kpiEntries and kpiSummary over GraphQL: gérant JWT or kpi:read key, exact JSON, query budgets."""

from typing import Any

import httpx
import pytest

from contract import messages
from contract.credentials import actor_for_user
from models import Role
from resolvers.gerants import GerantCreate, create_gerant
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import FROM, TO, History, fold_all, make_history, record
from tests.support.round_trips import commands_on
from tests.support.transport import Outcome, graphql

PASSWORD = "correct horse battery"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
ENTRIES = """query($f: KpiFilter!, $first: Int!, $after: String) {
  kpiEntries(filter: $f, first: $first, after: $after) {
    edges { cursor node {
      date caJournalier nbVentes nbArticles prospects source timestamp
      store { id name } seller { id name }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
METRICS = "ca nbVentes nbArticles prospects panierMoyen indiceDeVente tauxTransformation " + (
    "prixMoyenArticle"
)
SUMMARY = f"""query($f: KpiFilter!, $g: KpiGroupBy!) {{
  kpiSummary(filter: $f, groupBy: $g) {{
    key label {METRICS} previous {{ {METRICS} }} change {{ {METRICS} }}
  }}
}}"""
PERIOD = {"from": FROM, "to": TO}


async def as_gerant(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    """Log in as a new gérant with a password, give him the history, run `query` with his JWT."""
    gerant = await create_gerant(
        data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
    )
    history = await make_history(gerant)
    login = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"e": gerant.email, "p": PASSWORD}}
    )
    token = login.json()["data"]["login"]["token"]
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return history, response.json()


def node(day: str, ca: str, counts: tuple[int, int, int], store: Any, seller: Any) -> Any:
    ventes, articles, prospects = counts
    return {
        "date": day,
        "caJournalier": ca,
        "nbVentes": ventes,
        "nbArticles": articles,
        "prospects": prospects,
        "source": "external_api",
        "timestamp": None,
        "store": {"id": store.id, "name": store.name},
        "seller": {"id": seller.id, "name": seller.name},
    }


class TestEntries:
    async def test_gerant_reads_pages_with_stores_and_sellers(
        self, client: httpx.AsyncClient
    ) -> None:
        history, body = await as_gerant(client, ENTRIES, {"f": PERIOD, "first": 3})
        result = body["data"]["kpiEntries"]
        h = history
        assert [edge["node"] for edge in result["edges"]] == [
            node("2025-03-03", "60.10", (1, 3, 6), h.paris, h.alice),
            node("2025-03-04", "40.15", (1, 2, 0), h.paris, h.alice),
            node("2025-03-04", "0.01", (1, 1, 3), h.paris, h.bob),  # Bob is deleted
        ]
        assert result["pageInfo"] == {
            "hasNextPage": True,
            "endCursor": result["edges"][-1]["cursor"],
        }

    async def test_next_page_from_the_end_cursor(
        self, client: httpx.AsyncClient, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"])
        first = await graphql(client, ENTRIES, key, {"f": PERIOD, "first": 3})
        cursor = first.data["pageInfo"]["endCursor"]
        rest = await graphql(client, ENTRIES, key, {"f": PERIOD, "first": 3, "after": cursor})
        h = history
        assert [edge["node"] for edge in rest.data["edges"]] == [
            node("2025-03-05", "55.55", (0, 0, 4), h.lyon, h.chloe),  # Lyon is deactivated
            node("2025-03-09", "1000.00", (10, 25, 40), h.nice, h.david),
        ]
        assert rest.data["pageInfo"] == {
            "hasNextPage": False,
            "endCursor": rest.data["edges"][-1]["cursor"],
        }

    @pytest.mark.parametrize(
        ("variables", "status", "detail"),
        [
            ({"after": "nope"}, 400, "after: invalid cursor"),
            ({"first": 101}, 400, "first: must be between 1 and 100"),
            ({"f": {"from": TO, "to": FROM}}, 400, "to: must not be before from"),
            (
                {"f": {**PERIOD, "storeIds": ["store_elsewhere"]}},
                403,
                messages.STORE_NOT_IN_KEY_SCOPE,
            ),
        ],
    )
    async def test_refused(
        self,
        client: httpx.AsyncClient,
        history: History,
        variables: dict[str, Any],
        status: int,
        detail: str,
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"], store_ids=[history.paris.id])
        outcome = await graphql(client, ENTRIES, key, {"f": PERIOD, "first": 2, **variables})
        assert (outcome.status, outcome.detail) == (status, detail)

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


class TestSummary:
    async def test_total_as_exact_strings_and_rounded_floats(
        self, client: httpx.AsyncClient
    ) -> None:
        _, body = await as_gerant(client, SUMMARY, {"f": PERIOD, "g": "TOTAL"})
        # The arithmetic is in tests/resolvers/test_kpi_reports.py (TOTAL_NOW, TOTAL_BEFORE).
        assert body["data"]["kpiSummary"] == [
            {
                "key": "total",
                "label": "Total",
                "ca": "1155.81",
                "nbVentes": 13,
                "nbArticles": 31,
                "prospects": 53,
                "panierMoyen": "88.91",
                "indiceDeVente": 2.3846,
                "tauxTransformation": 0.2453,
                "prixMoyenArticle": "37.28",
                "previous": {
                    "ca": "60.00",
                    "nbVentes": 3,
                    "nbArticles": 7,
                    "prospects": 8,
                    "panierMoyen": "20.00",
                    "indiceDeVente": 2.3333,
                    "tauxTransformation": 0.375,
                    "prixMoyenArticle": "8.57",
                },
                "change": {
                    "ca": 18.2635,
                    "nbVentes": 3.3333,
                    "nbArticles": 3.4286,
                    "prospects": 5.625,
                    "panierMoyen": 3.4454,
                    "indiceDeVente": 0.022,
                    "tauxTransformation": -0.3459,
                    "prixMoyenArticle": 3.3498,
                },
            }
        ]

    async def test_zero_denominators_are_null(
        self, client: httpx.AsyncClient, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"])
        outcome = await graphql(
            client,
            SUMMARY,
            key,
            {"f": {**PERIOD, "sellerIds": [history.chloe.id]}, "g": "SELLER"},
        )
        [row] = outcome.data
        # 55.55 € with no sale and no article, 4 prospects; before: 10.00 €, 1 sale, 3 articles.
        assert (row["key"], row["label"], row["panierMoyen"], row["tauxTransformation"]) == (
            history.chloe.id,
            history.chloe.name,
            None,
            0.0,
        )
        assert row["previous"]["tauxTransformation"] is None  # 1 sale over 0 prospects
        assert row["change"] == {
            "ca": 4.555,  # (55.55 - 10.00) / 10.00
            "nbVentes": -1.0,
            "nbArticles": -1.0,
            "prospects": None,
            "panierMoyen": None,
            "indiceDeVente": None,
            "tauxTransformation": None,
            "prixMoyenArticle": None,
        }

    async def test_compared_with_the_same_weekdays_and_the_days_named(
        self, client: httpx.AsyncClient
    ) -> None:
        query = """query($f: KpiFilter!) {
          compared: kpiComparisonPeriod(filter: $f, compareTo: PREVIOUS_WEEKS) { from to }
          kpiSummary(filter: $f, groupBy: TOTAL, compareTo: PREVIOUS_WEEKS) {
            ca previous { ca }
          }
        }"""
        # 2025-03-03 (a Monday) to 2025-03-05: the Monday to Wednesday a week earlier, whose
        # 2025-02-24 has Alice's 50.00 (2025-03-02, a Sunday, is not one of them).
        _, body = await as_gerant(client, query, {"f": {"from": "2025-03-03", "to": "2025-03-05"}})
        assert body["data"]["compared"] == {"from": "2025-02-24", "to": "2025-02-26"}
        assert body["data"]["kpiSummary"] == [{"ca": "155.81", "previous": {"ca": "50.00"}}]

    async def test_requires_kpi_read(self, client: httpx.AsyncClient, history: History) -> None:
        key = await make_key(history.gerant, ["kpi:write"])
        outcome = await graphql(client, SUMMARY, key, {"f": PERIOD, "g": "TOTAL"})
        assert (outcome.status, outcome.detail) == (
            403,
            "Insufficient permissions. Requires 'kpi:read'",
        )

    async def test_unknown_group_is_a_graphql_400(
        self, client: httpx.AsyncClient, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"])
        query = "query($f: KpiFilter!) { kpiSummary(filter: $f, groupBy: YEAR) { key } }"
        outcome = await graphql(client, query, key, {"f": PERIOD})
        assert (outcome.status, outcome.detail) == (
            400,
            "Value 'YEAR' does not exist in 'KpiGroupBy' enum.",
        )


@pytest.fixture
async def history(client: httpx.AsyncClient) -> History:
    del client  # Beanie is bound to the app's database once its lifespan runs
    return await make_history()


class TestBudgets:
    """Database commands per request, the key already in the key cache."""

    async def measured(
        self, client: httpx.AsyncClient, settings: Settings, key: str, query: str, variables: Any
    ) -> tuple[Outcome, list[tuple[str, str]]]:
        assert settings.mongodb_url is not None
        with commands_on(settings.mongodb_url.rsplit("/", 1)[1]) as seen:
            outcome = await graphql(client, query, key, variables)
        assert outcome.status == 200, outcome.detail
        return outcome, seen

    async def test_a_page_costs_three_commands_whatever_its_size(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        gerant = await make_gerant()
        actor = actor_for_user(gerant)
        for _ in range(3):
            store = await make_store(gerant)
            sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(10)]
            for day in ("2025-03-03", "2025-03-04"):
                await record(actor, store, day, *[(s, "12.34", 1, 2, 3) for s in sellers])
        key = await make_key(gerant, ["kpi:read"])
        await graphql(client, "{ me { key { id } } }", key)
        expected = [("aggregate", "kpi_entries"), ("find", "stores"), ("find", "users")]
        for first in (2, 60):
            outcome, seen = await self.measured(
                client, settings, key, ENTRIES, {"f": PERIOD, "first": first}
            )
            assert len(outcome.data["edges"]) == first
            assert sorted(seen) == expected

    async def test_summary_costs_one_read_a_period_and_one_name_lookup(
        self, client: httpx.AsyncClient, settings: Settings, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"])
        await graphql(client, "{ me { key { id } } }", key)
        await fold_all()
        # Month rollups: each period's one read (with which store days are not folded yet).
        for group_by, expected in (
            ("SELLER", [("aggregate", "kpi_entries")] * 2 + [("find", "users")]),
            ("STORE", [("aggregate", "kpi_rollups")] * 2 + [("find", "stores")]),
            ("WEEK", [("aggregate", "kpi_rollups")] * 2),
        ):
            _, seen = await self.measured(
                client, settings, key, SUMMARY, {"f": PERIOD, "g": group_by}
            )
            assert seen == expected
