"""A client generated from the OpenAPI document with openapi-python-client, as an integrator
would generate it, runs the documented flow against a real `rpai serve`: no hand-written HTTP."""

import datetime
import importlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support.provisioned import provisioned_server

PACKAGE = "rpai_integrations_client"
# An import's file (NDJSON or CSV) and its refused lines are bytes to the generator, as the API
# guide tells integrators to configure it.
GENERATOR_CONFIG = """content_type_overrides:
  application/x-ndjson: application/octet-stream
  text/csv: application/octet-stream
"""
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server on its own data directory, and a key with every permission."""
    folder = tmp_path_factory.mktemp("server")
    with provisioned_server(folder, key_name="Caisse Lyon") as served:
        yield served.base, served.key


@pytest.fixture(scope="module")
def generated(
    server: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ModuleType, str]]:
    """The client package generated from the document the server publishes, importable."""
    base, _ = server
    work = tmp_path_factory.mktemp("client")
    document = work / "openapi.json"
    document.write_bytes(httpx.get(f"{base}/openapi.json").content)
    config = work / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    # The generator's default post-hooks run ruff, found next to the interpreter.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(work / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": path},
        cwd=work,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Anything the generator could not map is reported as a warning: there must be none.
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE), str(work / PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generated_code_reads_as_the_api(generated: tuple[ModuleType, str]) -> None:
    _, root = generated
    files = {
        str(path.relative_to(root))
        for path in Path(root).rglob("*.py")
        if "__init__" not in path.name
    }
    operations = {name for name in files if name.startswith("api/")}
    assert operations == {
        "api/events/get_event.py",
        "api/events/list_events.py",
        "api/health/check_health.py",
        "api/health/check_readiness.py",
        "api/kpi/create_kpi_import.py",
        "api/kpi/get_kpi_import.py",
        "api/kpi/list_kpi_import_errors.py",
        "api/kpi/list_kpi_imports.py",
        "api/kpi/reconcile_kpis.py",
        "api/kpi/sync_kpis.py",
        "api/me/get_me.py",
        "api/stores/create_store.py",
        "api/stores/delete_store.py",
        "api/stores/get_store.py",
        "api/stores/list_stores.py",
        "api/stores/update_store.py",
        "api/users/create_manager.py",
        "api/users/create_seller.py",
        "api/users/delete_user.py",
        "api/users/get_user.py",
        "api/users/list_users.py",
        "api/users/update_user.py",
        "api/webhooks/create_webhook_endpoint.py",
        "api/webhooks/delete_webhook_endpoint.py",
        "api/webhooks/get_webhook_endpoint.py",
        "api/webhooks/list_webhook_deliveries.py",
        "api/webhooks/list_webhook_endpoints.py",
        "api/webhooks/retry_webhook_delivery.py",
        "api/webhooks/rotate_webhook_endpoint_secret.py",
        "api/webhooks/test_webhook_endpoint.py",
        "api/webhooks/update_webhook_endpoint.py",
    }
    models = {name.removeprefix("models/") for name in files if name.startswith("models/")}
    assert all("_get" not in name and "_post" not in name for name in models), models
    assert {"store.py", "user.py", "kpi_sync.py", "error.py", "user_list.py"} <= models


def test_the_documented_flow(server: tuple[str, str], generated: tuple[ModuleType, str]) -> None:
    base, key = server
    package, _ = generated
    with package.AuthenticatedClient(
        base_url=base, token=key, prefix="", auth_header_name="X-API-Key"
    ) as client:
        run_the_flow(client)


def run_the_flow(client: Any) -> None:
    models = module("models")
    created = module("api.stores.create_store").sync(
        client=client,
        body=models.StoreCreate(
            name="Magasin Lyon Centre", location="69001 Lyon", external_id="LYON-001"
        ),
    )
    assert isinstance(created, models.StoreCreateResult)
    store = created.store
    assert (store.external_id, store.active) == ("LYON-001", True)
    assert isinstance(store.created_at, datetime.datetime)
    assert store.created_at.tzinfo is not None

    manager = module("api.users.create_manager").sync(
        client=client,
        store_id=store.id,
        body=models.ManagerCreate(
            name="Jean Dupont",
            email="jean.dupont@example.com",
            external_id="MANAGER-001",
            send_invitation=False,
        ),
    )
    assert manager.manager.external_id == "MANAGER-001"
    seller = module("api.users.create_seller").sync(
        client=client,
        store_id=store.id,
        body=models.SellerCreate(
            name="Marie Martin",
            email="marie.martin@example.com",
            external_id="SELLER-001",
            send_invitation=False,
        ),
    )
    assert (seller.seller.manager_id, seller.seller.external_id) == (
        manager.manager_id,
        "SELLER-001",
    )

    # The till knows its own codes only, and computes its amounts in floats.
    synced = module("api.kpi.sync_kpis").sync(
        client=client,
        body=models.KpiSync(
            store_external_id="LYON-001",
            date=datetime.date(2024, 1, 15),
            kpi_entries=[
                models.KpiEntryData(
                    seller_external_id="SELLER-001",
                    ca_journalier=1.1 * 3,
                    nb_ventes=12,
                    nb_articles=28,
                    prospects=35,
                )
            ],
        ),
    )
    assert (synced.entries_created, synced.entries_updated, synced.total) == (1, 0, 1)

    listed = module("api.users.list_users").sync(client=client, store_id=store.id)
    assert [(u.role, u.external_id) for u in listed.users] == [
        ("manager", "MANAGER-001"),
        ("seller", "SELLER-001"),
    ]
    assert listed.has_more is False
    assert isinstance(listed.users[0].created_at, datetime.datetime)
    found = module("api.users.list_users").sync(client=client, external_id="SELLER-001")
    assert [u.id for u in found.users] == [seller.seller_id]

    day = datetime.date(2024, 1, 15)
    reconciled = module("api.kpi.reconcile_kpis").sync(
        client=client, store_id=store.id, from_=day, to=day
    )
    [only] = reconciled.days
    assert (only.date, only.ca_total, only.entries) == (day, "3.30", 1)

    # A history in bulk: the generator sends the file as its last content type, CSV.
    csv = b"store_external_id,date,seller_external_id,ca_journalier,nb_ventes,nb_articles\n"
    csv += b"LYON-001,2024-01-16,SELLER-001,10.50,1,2\nLYON-001,2024-01-17,NOBODY,1,1,1\n"
    queued = module("api.kpi.create_kpi_import").sync(
        client=client, body=module("types").File(payload=io.BytesIO(csv))
    )
    assert (queued.import_.status, queued.import_.lines) == ("queued", 2)
    job = queued.import_
    for _ in range(300):
        job = module("api.kpi.get_kpi_import").sync(client=client, import_id=job.id).import_
        if job.status == "completed":
            break
        time.sleep(0.05)
    assert (job.status, job.entries_created, job.errors) == ("completed", 1, 1)
    refused_lines = module("api.kpi.list_kpi_import_errors").sync_detailed(
        client=client, import_id=job.id
    )
    assert json.loads(refused_lines.content) == {
        "line": 3,
        "detail": "kpi_entries: seller_external_id not a seller of this store: NOBODY",
    }

    by_code = module("api.stores.list_stores").sync(client=client, external_id="LYON-001")
    assert [s.id for s in by_code.stores] == [store.id]
    renamed = module("api.stores.update_store").sync(
        client=client, store_id=store.id, body=models.StoreUpdate(name="Magasin Lyon Bellecour")
    )
    assert renamed.store.name == "Magasin Lyon Bellecour"

    # Incremental reads: what changed since the latest updated_at seen, one by id, a page.
    since = module("api.stores.list_stores").sync(
        client=client, updated_since=renamed.store.updated_at
    )
    assert [s.id for s in since.stores] == [store.id]
    assert isinstance(since.has_more, module("types").Unset)
    one = module("api.stores.get_store").sync(client=client, store_id=store.id)
    assert one.store.to_dict() == renamed.store.to_dict()
    page = module("api.stores.list_stores").sync(client=client, limit=1)
    assert ([s.id for s in page.stores], page.has_more) == ([store.id], False)
    person = module("api.users.get_user").sync(client=client, user_id=seller.seller_id)
    assert person.user.to_dict() == found.users[0].to_dict()
    assert isinstance(person.user.updated_at, datetime.datetime)

    refused = module("api.stores.create_store").sync_detailed(
        client=client,
        body=models.StoreCreate(name="Magasin Lyon Bellecour", location="69002 Lyon"),
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.detail == "A store with this name already exists"


def test_the_probes(server: tuple[str, str], generated: tuple[ModuleType, str]) -> None:
    base, _ = server
    package, _ = generated
    with package.Client(base_url=base) as anonymous:
        assert module("api.health.check_health").sync(client=anonymous).status == "ok"
        ready = module("api.health.check_readiness").sync(client=anonymous)
    assert ready.status == module("models").ReadinessStatus.OK
