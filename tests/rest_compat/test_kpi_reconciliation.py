"""GET /api/integrations/kpi over HTTP against SecantusDB: the README's example, errors, cost."""

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import messages
from models import Role
from resolvers.kpi.figures import DayLine, canonical_day, day_checksum
from rest_compat.kpi import SYNC_EXAMPLE
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import History, make_history
from tests.support.round_trips import commands_on
from tests.support.transport import rest

README = Path(__file__).parents[2] / "README.md"
# The spec's sync example, as the README's worked example describes it.
EXAMPLE_LINES = [
    DayLine("seller-456", Decimal("1250.50"), 12, 28, 35),
    DayLine("seller-789", Decimal("980.25"), 8, 15, 20),
]


def readme_block(language: str) -> str:
    """The first ```language block of the README's "KPI reconciliation" section."""
    section = README.read_text().split("## KPI reconciliation\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert found is not None, language
    return found.group(1)


def reconcile(store_id: str, start: str, end: str) -> str:
    return f"/kpi?store_id={store_id}&from={start}&to={end}"


@pytest.fixture
async def history(client: httpx.AsyncClient) -> History:
    del client  # Beanie is bound to the app's database once its lifespan runs
    return await make_history()


class TestReadmeExample:
    def test_canonical_form_and_checksum_are_the_codes(self) -> None:
        assert readme_block("text") == canonical_day(reversed(EXAMPLE_LINES))
        checksum = day_checksum(EXAMPLE_LINES)
        assert f"# {checksum}  -" in readme_block("bash")
        assert json.loads(readme_block("json"))["days"][0]["checksum"] == checksum

    async def test_the_api_answers_the_documented_response(self, client: httpx.AsyncClient) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant, id="store-123")
        for seller_id in ("seller-456", "seller-789"):
            await make_user(gerant, Role.SELLER, store, id=seller_id)
        key = await make_key(gerant, ["kpi:write", "kpi:read"])
        assert (await rest(client, "POST", "/kpi/sync", key, SYNC_EXAMPLE)).status == 200
        answer = await rest(client, "GET", reconcile("store-123", "2024-01-15", "2024-01-16"), key)
        assert (answer.status, answer.data) == (200, json.loads(readme_block("json")))


class TestReconciliation:
    async def test_history_of_deleted_sellers_and_deactivated_stores(
        self, client: httpx.AsyncClient, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read"])
        paris = await rest(
            client, "GET", reconcile(history.paris.id, "2025-03-04", "2025-03-04"), key
        )
        lines = [
            DayLine(history.alice.id, Decimal("40.15"), 1, 2, 0),
            DayLine(history.bob.id, Decimal("0.01"), 1, 1, 3),  # deleted since
        ]
        assert paris.data["days"] == [
            {
                "date": "2025-03-04",
                "entries": 2,
                "ca_total": "40.16",  # 40.15 + 0.01
                "nb_ventes": 2,
                "nb_articles": 3,
                "prospects": 3,
                "checksum": day_checksum(lines),
            }
        ]
        lyon = await rest(
            client, "GET", reconcile(history.lyon.id, "2025-03-05", "2025-03-05"), key
        )
        assert (lyon.status, lyon.data["days"][0]["ca_total"]) == (200, "55.55")

    async def test_a_changed_entry_changes_only_its_days_checksum(
        self, client: httpx.AsyncClient, history: History
    ) -> None:
        key = await make_key(history.gerant, ["kpi:read", "kpi:write"])
        path = reconcile(history.paris.id, "2025-03-03", "2025-03-04")
        before = (await rest(client, "GET", path, key)).data["days"]
        body = {
            "store_id": history.paris.id,
            "date": "2025-03-03",
            "kpi_entries": [
                {
                    "seller_id": history.alice.id,
                    "ca_journalier": 60.11,
                    "nb_ventes": 1,
                    "nb_articles": 3,
                    "prospects": 6,
                }
            ],
        }
        assert (await rest(client, "POST", "/kpi/sync", key, body)).status == 200
        after = (await rest(client, "GET", path, key)).data["days"]
        assert [
            day["checksum"] != was["checksum"] for day, was in zip(after, before, strict=True)
        ] == [
            True,
            False,
        ]
        assert after[0]["checksum"] == day_checksum(
            [DayLine(history.alice.id, Decimal("60.11"), 1, 3, 6)]
        )


async def errors_case(history: History, case: str) -> tuple[str | None, str]:
    """The key and path of each refused request."""
    paris, nice = history.paris.id, history.nice.id
    reader = await make_key(history.gerant, ["kpi:read"])
    cases: dict[str, tuple[str | None, str]] = {
        "no-key": (None, reconcile(paris, "2025-03-03", "2025-03-09")),
        "no-permission": (
            await make_key(history.gerant, ["kpi:write", "stores:read"]),
            reconcile(paris, "2025-03-03", "2025-03-09"),
        ),
        "store-out-of-scope": (
            await make_key(history.gerant, ["kpi:read"], store_ids=[paris]),
            reconcile(nice, "2025-03-03", "2025-03-09"),
        ),
        "unknown-store": (reader, reconcile("store_unknown", "2025-03-03", "2025-03-09")),
        "missing-from": (reader, f"/kpi?store_id={paris}&to=2025-03-09"),
        "missing-store": (reader, "/kpi?from=2025-03-03&to=2025-03-09"),
        "bad-date": (reader, reconcile(paris, "2025-03-03", "2025-02-30")),
        "reversed": (reader, reconcile(paris, "2025-03-09", "2025-03-03")),
        "too-long": (reader, reconcile(paris, "2024-01-01", "2025-01-01")),
    }
    return cases[case]


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        ("no-key", 401, "Missing API key. Send it in the X-API-Key header"),
        ("no-permission", 403, "Insufficient permissions. Requires 'kpi:read'"),
        ("store-out-of-scope", 403, messages.STORE_NOT_IN_KEY_SCOPE),
        ("unknown-store", 404, "Store not found"),
        ("missing-from", 400, "from: Field required"),
        ("missing-store", 400, "store_id: Field required"),
        ("bad-date", 400, "to: Input should be a real calendar date in the format YYYY-MM-DD"),
        ("reversed", 400, "to: must not be before from"),
        ("too-long", 400, "The period is too long: 367 days (maximum 366)"),
    ],
)
async def test_refused(
    client: httpx.AsyncClient, history: History, case: str, status: int, detail: str
) -> None:
    key, path = await errors_case(history, case)
    answer = await rest(client, "GET", path, key)
    assert (answer.status, answer.detail) == (status, detail)


async def test_costs_two_commands_after_authentication(
    client: httpx.AsyncClient, history: History, settings: Settings
) -> None:
    key = await make_key(history.gerant, ["kpi:read"])
    assert (await rest(client, "GET", "/me", key)).status == 200  # the key is now cached
    assert settings.mongodb_url is not None
    with commands_on(settings.mongodb_url.rsplit("/", 1)[1]) as seen:
        answer = await rest(
            client, "GET", reconcile(history.paris.id, "2024-03-09", "2025-03-09"), key
        )
    assert answer.status == 200
    assert len(answer.data["days"]) == 366  # 9 March 2024 to 9 March 2025, 29 February included
    assert seen == [("find", "stores"), ("aggregate", "kpi_rollups")]


async def test_openapi_documents_the_query_parameters(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation: dict[str, Any] = document["paths"]["/api/integrations/kpi"]["get"]
    assert sorted(p["name"] for p in operation["parameters"]) == ["from", "store_id", "to"]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "404", "429", "503"]
