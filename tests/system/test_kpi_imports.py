"""KPI import jobs over HTTP on SecantusDB: a file posted, stored, checked and written in the
background by the app's import worker; its progress, its refused lines, its event."""

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from contract import messages
from models import Event, KpiEntry, KpiImport, KpiImportChunk, KpiImportError, Role, Store, User
from resolvers.kpi import imports
from resolvers.kpi.rollup_admin import check_rollups
from rpai.settings import Settings
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.kpi_history import fold_all
from tests.support.servers import in_process_client

pytestmark = pytest.mark.usefixtures("client")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's import worker looks for jobs ten times a second."""
    return settings.model_copy(update={"import_poll_seconds": 0.1})


IMPORTS = "/api/integrations/kpi/imports"
NDJSON = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv"}


def ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def entry(store: Store, seller: User, day: str, amount: str = "100.50") -> dict[str, Any]:
    return {
        "store_id": store.id,
        "date": day,
        "seller_id": seller.id,
        "ca_journalier": amount,
        "nb_ventes": 2,
        "nb_articles": 3,
    }


async def finished(client: httpx.AsyncClient, key: str, import_id: str) -> dict[str, Any]:
    """The import once it has ended (the app's worker runs it in the background)."""
    for _ in range(600):
        response = await client.get(f"{IMPORTS}/{import_id}", headers=headers(key))
        assert response.status_code == 200
        job: dict[str, Any] = response.json()["import"]
        if job["status"] in ("completed", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"import {import_id} never ended")


async def errors_of(client: httpx.AsyncClient, key: str, import_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{IMPORTS}/{import_id}/errors", headers=headers(key))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


async def test_an_ndjson_import_is_queued_then_written_with_its_events(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    key = await make_key(gerant)
    days = ["2025-03-01", "2025-03-02"]
    body = ndjson([entry(store, seller, day) for day in days for seller in sellers])

    response = await client.post(IMPORTS, content=body, headers={**headers(key), **NDJSON})

    assert response.status_code == 202
    queued = response.json()["import"]
    assert queued["id"].startswith("imp_")
    assert queued["status"] == "queued"
    assert queued["lines"] == 6
    assert queued["lines_done"] == 0
    assert queued["started_at"] is None
    assert queued["finished_at"] is None
    job = await finished(client, key, queued["id"])
    assert job["status"] == "completed"
    assert {k: job[k] for k in ("lines", "lines_done", "entries_created", "errors")} == {
        "lines": 6,
        "lines_done": 6,
        "entries_created": 6,
        "errors": 0,
    }
    assert job["entries_updated"] == 0
    assert job["started_at"] is not None
    assert job["finished_at"] is not None
    assert await KpiEntry.find({"gerant_id": gerant.id}).count() == 6
    synced = await Event.find({"gerant_id": gerant.id, "type": "kpi.synced"}).to_list()
    assert sorted(event.data["object"]["date"] for event in synced) == days
    [completed] = await Event.find(
        {"gerant_id": gerant.id, "type": "kpi_import.completed"}
    ).to_list()
    assert completed.data["object"] == job
    assert await KpiImportChunk.find({"import_id": job["id"]}).count() == 0  # the file is dropped
    await fold_all()
    assert await check_rollups() == []
    assert await errors_of(client, key, job["id"]) == []


async def test_a_store_day_with_a_refused_line_is_not_written_and_every_line_is_reported(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(2)]
    key = await make_key(gerant)
    lines = [
        entry(store, sellers[0], "2025-03-01"),  # 1: refused with its day (line 3)
        entry(store, sellers[0], "2025-03-02"),  # 2: written
        {**entry(store, sellers[1], "2025-03-01"), "nb_ventes": -1},  # 3: refused
        {**entry(store, sellers[1], "2025-03-02"), "seller_id": "nobody"},  # 4: refused
        entry(store, sellers[1], "2025-03-03"),  # 5: written
    ]
    body = ndjson(lines) + b"not json\n\n" + ndjson([entry(store, sellers[0], "2025-03-03")])

    response = await client.post(IMPORTS, content=body, headers={**headers(key), **NDJSON})

    assert response.status_code == 202
    job = await finished(client, key, response.json()["import"]["id"])
    assert job["status"] == "completed"
    assert job["lines"] == 7  # the blank line 7 aside
    assert job["lines_done"] == 7
    assert job["entries_created"] == 2
    assert job["errors"] == 5
    assert await errors_of(client, key, job["id"]) == [
        {"line": 1, "detail": messages.KPI_IMPORT_DAY_REFUSED.format(line=3)},
        {"line": 2, "detail": messages.KPI_IMPORT_DAY_REFUSED.format(line=4)},
        {"line": 3, "detail": "nb_ventes: Input should be greater than or equal to 0"},
        {"line": 4, "detail": messages.KPI_UNKNOWN_SELLERS.format(ids="nobody")},
        {"line": 6, "detail": messages.KPI_IMPORT_NOT_JSON},
    ]
    written = await KpiEntry.find({"gerant_id": gerant.id}).to_list()
    assert sorted(e.date for e in written) == ["2025-03-03", "2025-03-03"]
    kept = await KpiImport.get(job["id"])
    assert kept is not None
    refused = await KpiImportError.find({"import_id": job["id"]}).to_list()
    assert {error.expires_at for error in refused} == {kept.expires_at}  # kept as long as it


async def test_a_csv_import_names_stores_and_sellers_by_external_id(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant, external_id="LYON-001")
    seller = await make_user(gerant, Role.SELLER, store, external_id="V-1")
    other = await make_user(gerant, Role.SELLER, store, external_id="V-2")
    key = await make_key(gerant)
    body = (
        "\ufeffstore_external_id,date,seller_external_id,ca_journalier,nb_ventes,nb_articles,"
        "prospects\r\n"
        "LYON-001,2025-03-01,V-1,1250.50,12,28,35\r\n"
        "LYON-001,2025-03-01,V-2,80,1,1,\r\n"
        "LYON-001,2025-03-02,V-2,80,1,1,0\r\n"
        "LYON-001,2025-03-02,V-2,81,1,1,0\r\n"
    ).encode()

    response = await client.post(
        IMPORTS, content=body, headers={**headers(key), "Content-Type": "text/csv; charset=utf-8"}
    )

    assert response.status_code == 202
    job = await finished(client, key, response.json()["import"]["id"])
    assert (job["lines"], job["entries_created"], job["errors"]) == (4, 2, 2)
    assert await errors_of(client, key, job["id"]) == [
        {"line": 4, "detail": messages.KPI_IMPORT_DAY_REFUSED.format(line=5)},
        {"line": 5, "detail": messages.KPI_DUPLICATE_SELLERS.format(ids=other.id)},
    ]
    first = await KpiEntry.find_one({"seller_id": seller.id})
    assert first is not None
    assert (first.ca_journalier, first.prospects, first.source) == (
        Decimal("1250.50"),
        35,
        "kpi_import",
    )


@pytest.mark.parametrize(
    ("content_type", "body", "detail"),
    [
        ("application/json", b"{}", messages.KPI_IMPORT_CONTENT_TYPE),
        ("application/x-ndjson", b"\n \n", messages.KPI_IMPORT_EMPTY),
        ("text/csv", b"date,ca_journalier,nb_ventes,nb_articles\n", messages.KPI_IMPORT_EMPTY),
        (
            "text/csv",
            b"date,ca,nb_ventes\n2025-03-01,1,1\n",
            "Unknown columns: ca; Missing columns: ca_journalier, nb_articles",
        ),
        (
            "application/x-ndjson",
            b"{}\n" + b"x" * (64 * 1024 + 1) + b"\n",
            messages.KPI_IMPORT_LINE_TOO_LONG.format(line=2, maximum=64 * 1024),
        ),
    ],
)
async def test_a_file_that_cannot_be_imported_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, content_type: str, body: bytes, detail: str
) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)

    response = await client.post(
        IMPORTS, content=body, headers={**headers(key), "Content-Type": content_type}
    )

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert await KpiImportChunk.find({"gerant_id": gerant.id}).count() == 0
    listed = await client.get(IMPORTS, headers=headers(key))
    assert listed.json() == {"imports": [], "has_more": False}


async def test_imports_are_listed_newest_first_and_kept_within_their_tenant(
    client: httpx.AsyncClient,
) -> None:
    gerant, other = await make_gerant(), await make_gerant()
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    key, other_key = await make_key(gerant), await make_key(other)
    ids = []
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        body = ndjson([entry(store, seller, day)])
        response = await client.post(IMPORTS, content=body, headers={**headers(key), **NDJSON})
        ids.append(response.json()["import"]["id"])

    first = await client.get(f"{IMPORTS}?limit=2", headers=headers(key))
    rest = await client.get(f"{IMPORTS}?limit=2&starting_after={ids[1]}", headers=headers(key))

    assert [job["id"] for job in first.json()["imports"]] == [ids[2], ids[1]]
    assert first.json()["has_more"] is True
    assert [job["id"] for job in rest.json()["imports"]] == [ids[0]]
    assert rest.json()["has_more"] is False
    for path in (f"{IMPORTS}/{ids[0]}", f"{IMPORTS}/{ids[0]}/errors"):
        refused = await client.get(path, headers=headers(other_key))
        assert refused.status_code == 404
        assert refused.json() == {"detail": messages.KPI_IMPORT_NOT_FOUND}
    unknown = await client.get(f"{IMPORTS}?starting_after={ids[0]}", headers=headers(other_key))
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": messages.KPI_IMPORT_CURSOR_UNKNOWN}


async def test_an_import_needs_kpi_write(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant, permissions=["kpi:read"])

    response = await client.post(IMPORTS, content=b"{}\n", headers={**headers(key), **NDJSON})

    assert response.status_code == 403
    assert response.json() == {
        "detail": messages.INSUFFICIENT_PERMISSIONS.format(permission="kpi:write")
    }


async def test_an_import_with_an_idempotency_key_is_queued_once(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    key = await make_key(gerant)
    body = ndjson([entry(store, seller, "2025-03-01")])
    sent = {**headers(key), **NDJSON, "Idempotency-Key": "import-1"}

    first = await client.post(IMPORTS, content=body, headers=sent)
    again = await client.post(IMPORTS, content=body, headers=sent)
    other = await client.post(IMPORTS, content=body + body, headers=sent)

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    listed = await client.get(IMPORTS, headers=headers(key))
    assert [job["id"] for job in listed.json()["imports"]] == [first.json()["import"]["id"]]


async def test_a_file_over_its_chunks_is_written_whole_even_a_store_day_split_apart(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "CHUNK_BYTES", 600)  # a few lines a chunk
    gerant = await make_gerant()
    stores = [await make_store(gerant) for _ in range(3)]
    sellers = {
        store.id: [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
        for store in stores
    }
    key = await make_key(gerant)
    lines = [
        entry(store, seller, day)
        for day in ("2025-03-01", "2025-03-02")
        for store in stores
        for seller in sellers[store.id]
    ]
    late = await make_user(gerant, Role.SELLER, stores[0])
    lines.append({**entry(stores[0], late, "2025-03-01"), "ca_journalier": 7})

    response = await client.post(IMPORTS, content=ndjson(lines), headers={**headers(key), **NDJSON})

    job = await finished(client, key, response.json()["import"]["id"])
    assert (job["lines_done"], job["entries_created"], job["errors"]) == (19, 19, 0)
    assert await KpiImportChunk.find({"gerant_id": gerant.id}).count() == 0
    written = await KpiEntry.find_one({"seller_id": late.id, "date": "2025-03-01"})
    assert written is not None
    assert written.ca_journalier == Decimal("7.00")
    await fold_all()
    assert await check_rollups() == []


async def test_a_key_restricted_to_stores_imports_into_them_only(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant()
    mine, other = await make_store(gerant), await make_store(gerant)
    seller, stranger = (
        await make_user(gerant, Role.SELLER, mine),
        await make_user(gerant, Role.SELLER, other),
    )
    key = await make_key(gerant, store_ids=[mine.id])
    body = ndjson([entry(mine, seller, "2025-03-01"), entry(other, stranger, "2025-03-01")])

    response = await client.post(IMPORTS, content=body, headers={**headers(key), **NDJSON})

    job = await finished(client, key, response.json()["import"]["id"])
    assert (job["entries_created"], job["errors"]) == (1, 1)
    assert await errors_of(client, key, job["id"]) == [
        {"line": 2, "detail": messages.STORE_NOT_IN_KEY_SCOPE}
    ]
    everyone = await client.get(IMPORTS, headers=headers(await make_key(gerant)))
    assert [listed["id"] for listed in everyone.json()["imports"]] == [job["id"]]
    elsewhere = await make_key(gerant, store_ids=[other.id])
    assert (
        await client.get(f"{IMPORTS}/{job['id']}", headers=headers(elsewhere))
    ).status_code == 404


async def parts(body: bytes) -> AsyncIterator[bytes]:
    """`body` sent in two parts, without a Content-Length."""
    yield body[:600]
    yield body[600:]


async def test_a_file_over_the_import_limit_is_refused_with_413(settings: Settings) -> None:
    async with in_process_client(settings.model_copy(update={"import_max_bytes": 1000})) as http:
        gerant = await make_gerant()
        key = await make_key(gerant)
        body = b"{}\n" * 400  # 1,200 bytes

        announced = await http.post(IMPORTS, content=body, headers={**headers(key), **NDJSON})
        streamed = await http.post(IMPORTS, content=parts(body), headers={**headers(key), **NDJSON})
        small = await http.post(
            "/api/integrations/kpi/sync", content=b"x" * 1000, headers=headers(key)
        )

        for refused in (announced, streamed):
            assert refused.status_code == 413
            assert refused.json() == {"detail": messages.BODY_TOO_LARGE}
        assert small.status_code == 400  # not refused for its size: read, and found not JSON
        assert await KpiImportChunk.find({"gerant_id": gerant.id}).count() == 0
