"""Acknowledged writes survive, and unanswered ones retried with their Idempotency-Key are
answered: SIGKILL at random moments (tests/support/chaos.py), and SIGTERM right after an answer,
on `rpai serve` with its embedded database. The settings that make them durable are checked on
their own too: a crash round may miss a lost write."""

import signal
from pathlib import Path

import httpx
from pymongo import WriteConcern

from rpai.database import free_port, make_client
from rpai.embedded_db import database_server
from rpai.settings import Settings
from tests.support.chaos import CHAOS_ENV, run_rounds
from tests.support.cli import environment
from tests.support.provisioned import provision
from tests.support.servers import start_subprocess_server

CI_ROUNDS = 3


async def test_the_client_waits_for_the_journal_and_a_majority() -> None:
    client = make_client("mongodb://127.0.0.1:1/retail_performer", Settings())
    try:
        assert client.write_concern == WriteConcern(w="majority", j=True)
    finally:
        client.close()


def test_the_embedded_database_syncs_its_log_at_each_commit(tmp_path: Path) -> None:
    server = database_server(tmp_path / "db", 0)
    try:
        assert server.storage.sync_on_commit is True
        assert (server.host, server.require_auth, server.enable_test_commands) == (
            "127.0.0.1",
            True,
            False,
        )
    finally:
        server.stop()


def test_every_acknowledged_write_survives_sigkill(tmp_path: Path) -> None:
    results = run_rounds(CI_ROUNDS, tmp_path / "data")
    assert sum(result.acknowledged for result in results) > 0
    assert [(r.lost, r.half_batches) for r in results] == [(0, 0)] * CI_ROUNDS
    # Every acknowledged write has its event, and no event is left without its write.
    assert [(r.without_event, r.orphan_events) for r in results] == [(0, 0)] * CI_ROUNDS
    # Writes left unanswered by the kill, sent again with their Idempotency-Key: each answered
    # 200 with what it created, none "already exists".
    assert [r.retries.failed for r in results] == [0] * CI_ROUNDS


def test_sigterm_right_after_an_answer_keeps_the_write_and_stops_cleanly(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    key = provision(data, name="Alice", key_name="k", permissions="stores:read,stores:write").key
    port = free_port()
    server = start_subprocess_server(data, port, log, CHAOS_ENV)
    created = httpx.post(
        f"http://127.0.0.1:{port}/api/integrations/stores",
        json={"name": "Lyon", "location": "69001 Lyon"},
        headers={"X-API-Key": key},
    )
    assert created.status_code == 200
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert "Traceback" not in log.read_text()
    assert environment(data)["RPAI_DATA_DIR"] == str(data)
    port = free_port()
    server = start_subprocess_server(data, port, log, CHAOS_ENV)
    try:
        stores = httpx.get(
            f"http://127.0.0.1:{port}/api/integrations/stores", headers={"X-API-Key": key}
        ).json()["stores"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert [store["id"] for store in stores] == [created.json()["store"]["id"]]


def test_sigint_stops_the_server_and_its_database(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    server = start_subprocess_server(data, free_port(), log, CHAOS_ENV)
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=60) in (0, 128 + signal.SIGINT)
    assert "Traceback" not in log.read_text()
    assert "embedded database exited" not in log.read_text()
