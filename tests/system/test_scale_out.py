"""Three `rpai serve` processes on one database (the first one's embedded SecantusDB, which the
others find on the shared data directory): what one caller does on one is known to all."""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from contract import messages
from rpai.database import ADDRESS_FILE, embedded_url
from tests.support.cli import rpai_json
from tests.support.live import acknowledged, follow_and_sync, live, received
from tests.support.logins import LOGIN, PASSWORD
from tests.support.provisioned import ALL_PERMISSIONS, EMAIL, create_gerant
from tests.support.servers import subprocess_server
from tests.support.webhook_receiver import Receiver, receiving

PER_MINUTE = 30
ENV = {
    "RPAI_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
    "RPAI_ANONYMOUS_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
    "RPAI_RATE_LIMIT_SYNC_SECONDS": "0.2",
    # Room for a few introspections a caller, given back at a point a second: none meanwhile.
    "RPAI_GRAPHQL_MAX_COST": "5000",
    "RPAI_GRAPHQL_COST_RESTORE_RATE": "1",
    "RPAI_ANONYMOUS_GRAPHQL_COST_RESTORE_RATE": "1",
    "RPAI_LOGIN_FAILURES_PER_EMAIL_AND_ADDRESS": "4",
    "RPAI_SUBSCRIPTION_CONNECTIONS_PER_PRINCIPAL": "2",
    "RPAI_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver listens on the loopback
    "RPAI_WEBHOOK_POLL_SECONDS": "0.2",
}
LOGIN_GUESSES = 4
CONNECTIONS = 2
WEBHOOK_ENDPOINTS = "/api/integrations/webhook_endpoints"
INTROSPECTION = "{ __schema { types { name fields { name } } } }"
STORES = "/api/integrations/stores"
REVOCATION_SECONDS = 1.0
POLL_SECONDS = 0.05
AFTER_A_SYNC_SECONDS = 0.3  # between tries on another process: it has synced meanwhile
# What one process holds reaches the others within two syncs (its own, then theirs: 0.4 s);
# the rest is room for a loaded machine, where a sync can start late.
HOLDINGS_ARRIVE_SECONDS = 2.0


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    folder = tmp_path_factory.mktemp("scale_out")
    data = folder / "data"
    create_gerant(data, password=PASSWORD)
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


def test_login_guesses_are_counted_across_processes(servers: tuple[Path, list[str]]) -> None:
    _, (first, second, third) = servers

    def login(address: str, password: str) -> tuple[str, str]:
        variables = {"email": EMAIL, "password": password}
        response = httpx.post(f"{address}/graphql", json={"query": LOGIN, "variables": variables})
        [error] = response.json()["errors"]
        return error["extensions"]["code"], error["message"]

    wrong = ("UNAUTHENTICATED", messages.INVALID_CREDENTIALS)
    limited = ("TOO_MANY_REQUESTS", messages.LOGIN_FAILURES_LIMITED)
    assert [login(first, "guess") for _ in range(LOGIN_GUESSES)] == [wrong] * LOGIN_GUESSES
    assert login(first, "guess") == limited
    for other in (second, third):
        # Alone, a process would check LOGIN_GUESSES more; it checks those before its sync.
        guessed = 0
        while (answer := login(other, "another guess")) == wrong:
            guessed += 1
            assert guessed < LOGIN_GUESSES, "the other process's guesses never arrived"
            time.sleep(AFTER_A_SYNC_SECONDS)
        assert answer == limited
    assert login(third, PASSWORD) == limited  # refused before the password is checked


async def answer_to_init(address: str, key: str) -> dict[str, Any] | tuple[int, str]:
    """A new connection's first answer: a message, or how the server closed it."""
    async with live(address, {"X-API-Key": key}) as socket:
        try:
            return await asyncio.wait_for(received(socket), 5)
        except ConnectionClosed as closed:
            close = closed.rcvd
    assert close is not None
    return close.code, close.reason


async def refused_elsewhere(addresses: list[str], key: str) -> list[tuple[int, str]]:
    """Hold all the key's connections on the first process, then open one more on each other:
    how each closed it, once its sync brought the first's holdings."""
    first, *others = addresses
    async with live(first, {"X-API-Key": key}) as one, live(first, {"X-API-Key": key}) as two:
        for socket in (one, two):
            await acknowledged(socket)
        closes = []
        for other in others:
            deadline = time.monotonic() + HOLDINGS_ARRIVE_SECONDS
            while isinstance(answer := await answer_to_init(other, key), dict):
                assert answer == {"type": "connection_ack"}  # and closed at once: none held
                assert time.monotonic() < deadline, "the first process's holdings never arrived"
                await asyncio.sleep(AFTER_A_SYNC_SECONDS)
            closes.append(answer)
    return closes


def test_a_principal_s_connections_are_held_across_processes(
    servers: tuple[Path, list[str]],
) -> None:
    data, addresses = servers
    key = new_key(data, "front", "kpi:read")["key"]
    refused = (4429, messages.CONNECTIONS_LIMITED.format(limit=CONNECTIONS))
    assert asyncio.run(refused_elsewhere(addresses, key)) == [refused, refused]


def test_a_sync_sent_to_one_process_reaches_a_subscriber_on_another(
    servers: tuple[Path, list[str]],
) -> None:
    data, (first, second, _) = servers
    key = new_key(data, "till and front", ALL_PERMISSIONS)["key"]
    event, _ = asyncio.run(follow_and_sync(first, second, key))
    assert event["source"] == "external_api"


def test_webhook_events_are_delivered_once_by_the_processes(
    servers: tuple[Path, list[str]],
) -> None:
    data, addresses = servers
    headers = {"X-API-Key": new_key(data, "hooks", "stores:write,webhooks:write")["key"]}
    receiver = Receiver()
    with receiving(receiver) as base:
        registered = httpx.post(
            f"{addresses[0]}{WEBHOOK_ENDPOINTS}",
            json={"url": f"{base}/hook", "events": ["store.created"]},
            headers=headers,
        )
        assert registered.status_code == 200, registered.text
        stores = [
            httpx.post(
                f"{address}{STORES}",
                json={"name": f"Magasin {n}", "location": "69002 Lyon"},
                headers=headers,
            ).json()["store"]["id"]
            for n, address in enumerate(addresses * 2)
        ]
        receiver.wait_for(len(stores))
        time.sleep(3 * AFTER_A_SYNC_SECONDS)  # room for a second delivery, were there one
        endpoint_id = registered.json()["webhook_endpoint"]["id"]
        deleted = httpx.delete(f"{addresses[0]}{WEBHOOK_ENDPOINTS}/{endpoint_id}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    delivered = [json.loads(request.body)["data"]["object"]["id"] for request in receiver.received]
    assert Counter(delivered) == Counter(stores)
    assert len({request.webhook_id for request in receiver.received}) == len(stores)
