"""Three `rpai serve` processes on one database (the first one's embedded SecantusDB, which the
others find on the shared data directory): what one caller does on one is known to all."""

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from rpai.database import ADDRESS_FILE, embedded_url
from tests.support.cli import rpai_json
from tests.support.provisioned import EMAIL, create_gerant
from tests.support.servers import subprocess_server

PER_MINUTE = 30
ENV = {
    "RPAI_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
    "RPAI_ANONYMOUS_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
    "RPAI_RATE_LIMIT_SYNC_SECONDS": "0.2",
    # Room for a few introspections a caller, given back at a point a second: none meanwhile.
    "RPAI_GRAPHQL_MAX_COST": "5000",
    "RPAI_GRAPHQL_COST_RESTORE_RATE": "1",
    "RPAI_ANONYMOUS_GRAPHQL_COST_RESTORE_RATE": "1",
}
INTROSPECTION = "{ __schema { types { name fields { name } } } }"
STORES = "/api/integrations/stores"
REVOCATION_SECONDS = 1.0
POLL_SECONDS = 0.05


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    folder = tmp_path_factory.mktemp("scale_out")
    data = folder / "data"
    create_gerant(data)
    with ExitStack() as stack:
        first = stack.enter_context(subprocess_server(data, folder / "server0.log", ENV))
        port = int(json.loads((data / ADDRESS_FILE).read_text())["port"])
        shared = {**ENV, "MONGODB_URL": embedded_url(data, port)}
        others = [
            stack.enter_context(subprocess_server(data, folder / f"server{n}.log", shared))
            for n in (1, 2)
        ]
        yield data, [first, *others]


def new_key(data: Path, name: str, permissions: str = "stores:read") -> dict[str, str]:
    created: dict[str, str] = rpai_json(
        data,
        "create-api-key",
        "--gerant-email",
        EMAIL,
        "--name",
        name,
        "--permissions",
        permissions,
    )
    return created


def test_a_rate_limit_holds_across_processes(servers: tuple[Path, list[str]]) -> None:
    data, (first, second, third) = servers
    key = new_key(data, "limited")["key"]
    headers = {"X-API-Key": key}
    answers = [httpx.get(f"{first}{STORES}", headers=headers) for _ in range(PER_MINUTE)]
    assert [answer.status_code for answer in answers] == [200] * PER_MINUTE
    for other in (second, third):
        # A process learns a caller's total when it serves him, then at its next sync.
        served = 0
        while (answer := httpx.get(f"{other}{STORES}", headers=headers)).status_code == 200:
            served += 1
            assert served <= PER_MINUTE // 2, "the other process's counts never arrived"
            time.sleep(POLL_SECONDS)
        assert answer.status_code == 429
        assert "Retry-After" in answer.headers


def test_a_revoked_key_is_refused_by_every_process(servers: tuple[Path, list[str]]) -> None:
    data, addresses = servers
    created = new_key(data, "revoked")
    headers = {"X-API-Key": created["key"]}
    assert [httpx.get(f"{a}{STORES}", headers=headers).status_code for a in addresses] == [200] * 3
    rpai_json(data, "revoke-api-key", created["id"])
    deadline = time.monotonic() + REVOCATION_SECONDS
    refused: set[str] = set()
    while len(refused) < len(addresses) and time.monotonic() < deadline:
        for address in set(addresses) - refused:
            if httpx.get(f"{address}{STORES}", headers=headers).status_code == 401:
                refused.add(address)
        time.sleep(POLL_SECONDS)
    assert refused == set(addresses)


def test_a_cost_bucket_holds_across_processes(servers: tuple[Path, list[str]]) -> None:
    data, (first, second, third) = servers
    headers = {"X-API-Key": new_key(data, "costly")["key"]}

    def ask(address: str) -> httpx.Response:
        return httpx.post(f"{address}/graphql", json={"query": INTROSPECTION}, headers=headers)

    spent = []
    while (answer := ask(first)).json().get("data"):
        spent.append(answer.json()["extensions"]["cost"])  # drained on the first process
    assert spent, answer.json()
    assert answer.json()["errors"][0]["extensions"]["code"] == "THROTTLED", spent
    for other in (second, third):
        served = 0
        while (answer := ask(other)).json().get("data"):
            served += 1
            # Alone, a process would serve a full bucket (len(spent)); it serves what comes
            # before its next sync.
            assert served < len(spent) // 2, spent
            time.sleep(POLL_SECONDS)
        assert answer.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


def test_an_idempotent_write_is_replayed_by_every_process(
    servers: tuple[Path, list[str]],
) -> None:
    data, (first, second, third) = servers
    key = new_key(data, "erp", "stores:read,stores:write")["key"]
    headers = {"X-API-Key": key, "Idempotency-Key": "store-lyon"}
    body = {"name": "Lyon Part-Dieu", "location": "69003 Lyon"}

    created = httpx.post(f"{first}{STORES}", json=body, headers=headers)
    replayed = httpx.post(f"{second}{STORES}", json=body, headers=headers)
    reused = httpx.post(f"{third}{STORES}", json={**body, "location": "Lyon"}, headers=headers)

    assert created.status_code == replayed.status_code == 200
    assert replayed.json() == created.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    assert reused.status_code == 422
    listed = httpx.get(f"{third}{STORES}", headers={"X-API-Key": key}).json()["stores"]
    assert [store["name"] for store in listed] == ["Lyon Part-Dieu"]
