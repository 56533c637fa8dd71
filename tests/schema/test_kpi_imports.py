"""KPI imports over GraphQL on SecantusDB: `startKpiImport` from a file's text, `kpiImport`
followed to its end with its refused lines, `kpiImports`; the answers REST gives."""

import asyncio
from typing import Any

import httpx
import pytest

from contract import messages
from models import Role
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.logins import PASSWORD, logged_in
from tests.support.transport import graphql

pytestmark = pytest.mark.usefixtures("client")

START = """mutation($format: KpiImportFormat!, $content: String!) {
  startKpiImport(format: $format, content: $content) { id status lines linesDone startedAt } }"""
READ = """query($id: ID!) { kpiImport(id: $id) {
  id status lines linesDone entriesCreated entriesUpdated errors finishedAt
  refusedLines(first: 1) {
    edges { node { line detail } } pageInfo { hasNextPage endCursor } } } }"""
MORE = """query($id: ID!, $after: String) { kpiImport(id: $id) {
  refusedLines(first: 10, after: $after) { edges { node { line detail } } } } }"""
LIST = "query { kpiImports(first: 10) { edges { node { id status } } } }"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's import worker looks for jobs ten times a second."""
    return settings.model_copy(update={"import_poll_seconds": 0.1})


async def ended(
    client: httpx.AsyncClient, key: str | None, id: str, token: str | None = None
) -> Any:
    for _ in range(600):
        read = await graphql(client, READ, key, {"id": id}, token=token)
        assert read.status == 200, read.detail
        if read.data["status"] in ("COMPLETED", "FAILED"):
            return read.data
        await asyncio.sleep(0.05)
    raise AssertionError("the import never ended")


async def test_an_import_from_csv_text_is_followed_to_its_refused_lines(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant, external_id="LYON-001")
    await make_user(gerant, Role.SELLER, store, external_id="V-1")
    key = await make_key(gerant)
    content = (
        "store_external_id,date,seller_external_id,ca_journalier,nb_ventes,nb_articles\n"
        "LYON-001,2025-03-01,V-1,12.50,1,2\n"
        "LYON-001,2025-03-02,V-9,1,1,1\n"
        "LYON-001,2025-03-03,V-1,1,-1,1\n"
    )

    started = await graphql(client, START, key, {"format": "CSV", "content": content})

    assert started.status == 200, started.detail
    assert {k: started.data[k] for k in ("status", "lines", "linesDone", "startedAt")} == {
        "status": "QUEUED",
        "lines": 3,
        "linesDone": 0,
        "startedAt": None,
    }
    job = await ended(client, key, started.data["id"])
    assert {k: job[k] for k in ("status", "linesDone", "entriesCreated", "errors")} == {
        "status": "COMPLETED",
        "linesDone": 3,
        "entriesCreated": 1,
        "errors": 2,
    }
    first = job["refusedLines"]
    assert first["edges"] == [
        {"node": {"line": 3, "detail": messages.KPI_UNKNOWN_SELLER_EXTERNAL_IDS.format(ids="V-9")}}
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await graphql(
        client, MORE, key, {"id": job["id"], "after": first["pageInfo"]["endCursor"]}
    )
    assert rest.data["refusedLines"]["edges"] == [
        {"node": {"line": 4, "detail": "nb_ventes: Input should be greater than or equal to 0"}}
    ]
    listed = await graphql(client, LIST, key)
    assert listed.data["edges"] == [{"node": {"id": job["id"], "status": "COMPLETED"}}]


async def test_the_gerants_session_imports_and_another_tenant_finds_nothing(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant(password=PASSWORD)
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    token = await logged_in(client, gerant.email)
    line = (
        f'{{"store_id": "{store.id}", "date": "2025-03-01", "seller_id": "{seller.id}", '
        '"ca_journalier": 3, "nb_ventes": 1, "nb_articles": 1}\n'
    )

    started = await graphql(client, START, None, {"format": "NDJSON", "content": line}, token=token)

    job = await ended(client, None, started.data["id"], token=token)
    assert (job["status"], job["entriesCreated"]) == ("COMPLETED", 1)
    stranger = await make_key(await make_gerant())
    refused = await graphql(client, READ, stranger, {"id": job["id"]})
    assert (refused.status, refused.detail) == (404, messages.KPI_IMPORT_NOT_FOUND)


async def test_starting_an_import_needs_kpi_write(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant, permissions=["kpi:read"])

    refused = await graphql(client, START, key, {"format": "NDJSON", "content": "{}\n"})

    assert (refused.status, refused.detail) == (
        403,
        messages.INSUFFICIENT_PERMISSIONS.format(permission="kpi:write"),
    )
