"""The `rpai` command end to end, as a user runs it: subprocesses on a temporary data directory."""

import errno
import json
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from rpai.database import free_port
from tests.support.cli import RPAI, environment, rpai, rpai_json
from tests.support.provisioned import provision
from tests.support.servers import subprocess_server


def test_bootstrap_with_and_without_a_running_server(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    gerant = rpai_json(
        data,
        "create-gerant",
        "--name",
        "Alice",
        "--email",
        "alice@example.com",
        "--password-stdin",
        stdin="first password\n",
    )
    assert set(gerant) == {"id", "name", "email"}
    changed = rpai_json(
        data,
        "set-password",
        "--email",
        "alice@example.com",
        "--password-stdin",
        stdin="second password\n",
    )
    assert changed == {"id": gerant["id"], "email": "alice@example.com", "password_set": True}
    with subprocess_server(data, log) as base:
        created = rpai_json(
            data,
            "create-api-key",
            "--gerant-email",
            "ALICE@example.com",
            "--name",
            "Caisse",
            "--permissions",
            "stores:read,kpi:write",
            "--expires-in-days",
            "90",
        )
        assert set(created) == {"id", "key", "name", "permissions", "store_ids", "expires_at"}
        assert created["permissions"] == ["stores:read", "kpi:write"]
        me = httpx.get(f"{base}/api/integrations/me", headers={"X-API-Key": created["key"]})
        assert me.status_code == 200
        assert me.json()["gerant"] == {"id": gerant["id"], "name": "Alice"}
        assert httpx.get(f"{base}/readyz").json() == {"status": "ok"}
        login = httpx.post(
            f"{base}/graphql",
            json={
                "query": 'mutation { login(email: "alice@example.com", '
                'password: "second password") { user { id } } }'
            },
        )
        assert login.json()["data"]["login"]["user"]["id"] == gerant["id"]
        second = rpai(data, "serve", "--port", str(free_port()))
        assert second.returncode == 1
        assert "is in use by another rpai process" in second.stderr
    with subprocess_server(data, log) as base:
        again = httpx.get(f"{base}/api/integrations/me", headers={"X-API-Key": created["key"]})
        assert again.status_code == 200
    revoked = rpai_json(data, "revoke-api-key", created["id"])
    assert revoked == {"id": created["id"], "active": False}
    with subprocess_server(data, log) as base:
        refused = httpx.get(f"{base}/api/integrations/me", headers={"X-API-Key": created["key"]})
        assert (refused.status_code, refused.json()) == (401, {"detail": "API key is inactive"})
    assert created["key"] not in log.read_text()
    assert created["key"][8:] not in log.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-gerant", "--name", "B", "--email", "not-an-email"], "rpai: email: "),
        (
            [
                "create-api-key",
                "--gerant-email",
                "nobody@example.com",
                "--name",
                "k",
                "--permissions",
                "stores:read",
            ],
            "rpai: No gérant with this email",
        ),
        (["revoke-api-key", "key_unknown"], "rpai: API key not found"),
        (
            ["set-password", "--email", "a@example.com", "--password-stdin"],
            "rpai: password: String should have at least 10 characters",
        ),
        (
            ["set-password", "--email", "a@example.com"],
            "rpai: no terminal to ask the password on: pipe it in with --password-stdin",
        ),
    ],
)
def test_errors_go_to_stderr_with_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    result = rpai(tmp_path, *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_a_key_revoked_from_the_cli_is_refused_by_the_running_server(tmp_path: Path) -> None:
    """The server's key directory follows the database: a revocation made by another process
    takes effect within a second, with no lookup on the request path."""
    data, log = tmp_path / "data", tmp_path / "server.log"
    rpai_json(data, "create-gerant", "--name", "Alice", "--email", "alice@example.com")
    with subprocess_server(data, log) as base:
        created = rpai_json(
            data,
            "create-api-key",
            "--gerant-email",
            "alice@example.com",
            "--name",
            "Caisse",
            "--permissions",
            "stores:read",
        )
        headers = {"X-API-Key": created["key"]}
        assert httpx.get(f"{base}/api/integrations/me", headers=headers).status_code == 200
        rpai_json(data, "revoke-api-key", created["id"])
        revoked_at = time.monotonic()
        while httpx.get(f"{base}/api/integrations/me", headers=headers).status_code == 200:
            assert time.monotonic() - revoked_at < 1.0, "still accepted a second later"
            time.sleep(0.01)


def test_secrets_never_reach_the_logs_and_each_line_names_its_request(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    password, token = "hunter2-never-logged", "tok-never-logged"
    with subprocess_server(data, log) as base:
        mutation = f'mutation {{ login(email: "a@b.fr", password: "{password}") {{ token }} }}'
        over_get = httpx.get(f"{base}/graphql", params={"query": mutation})
        assert over_get.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        page = httpx.get(f"{base}/invitation", params={"token": token})
        assert page.status_code == 200
    text = log.read_text()
    assert password not in text
    assert token not in text
    page_line = next(line for line in text.splitlines() if "GET /invitation 200" in line)
    assert f"[{page.headers['x-request-id']}]" in page_line
    graphql_line = next(line for line in text.splitlines() if "GET /graphql" in line)
    assert f"[{over_get.headers['x-request-id']}]" in graphql_line


def listening_sockets() -> set[tuple[str, int]]:
    """(address, port) of every IPv4 TCP socket listening on this machine."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN
            address, port = local.split(":")
            octets = bytes.fromhex(address)[::-1]
            found.add((".".join(str(octet) for octet in octets), int(port, 16)))
    return found


def test_metrics_are_served_on_their_own_loopback_port(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    port = free_port()
    with subprocess_server(data, log, {"RPAI_METRICS_PORT": str(port)}) as base:
        assert httpx.get(f"{base}/metrics").status_code == 404
        assert httpx.get(f"{base}/healthz").status_code == 200  # a request to count
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert metrics.status_code == 200
        assert 'rpai_http_requests_total{method="GET",route="/healthz",status="200"}' in (
            metrics.text
        )
        assert ("127.0.0.1", port) in listening_sockets()
        assert ("0.0.0.0", port) not in listening_sockets()


def test_a_taken_metrics_port_stops_serve_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*RPAI, "serve", "--port", str(free_port())],
            env={**environment(tmp_path), "RPAI_METRICS_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"rpai: cannot serve metrics on 127.0.0.1:{port}")


def test_rollups_are_checked_and_rebuilt_from_the_command_line(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    assert rpai_json(data, "check-rollups") == {"differences": 0, "rollups": []}
    key = provision(data, permissions="stores:write,users:write,kpi:write").key
    with subprocess_server(data, log) as base:
        headers = {"X-API-Key": key}
        store = httpx.post(
            f"{base}/api/integrations/stores",
            json={"name": "Lyon", "location": "Lyon"},
            headers=headers,
        ).json()["store"]["id"]
        seller = httpx.post(
            f"{base}/api/integrations/stores/{store}/sellers",
            json={"name": "S", "email": "s@example.com", "send_invitation": False},
            headers=headers,
        ).json()["seller_id"]
        entry = {"seller_id": seller, "ca_journalier": 12.5, "nb_ventes": 1, "nb_articles": 2}
        synced = httpx.post(
            f"{base}/api/integrations/kpi/sync",
            json={"store_id": store, "date": "2024-01-15", "kpi_entries": [entry]},
            headers=headers,
        )
        assert synced.status_code == 200
        assert rpai_json(data, "check-rollups")["differences"] == 0
    rebuilt = rpai(data, "rebuild-rollups")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout) == {"rollups_written": 0}
    assert "store 1/1 " in rebuilt.stderr


@pytest.mark.parametrize("port", [8000, 9464, 27017])
def test_no_test_can_take_a_default_port(port: int) -> None:
    """The run holds the default ports (tests/conftest.py), or something else does: a test that
    served on one would fail here as it would while `make run` serves."""
    in_use = rf"\[Errno {errno.EADDRINUSE}\]"
    with socket.socket() as probe, pytest.raises(OSError, match=in_use):
        probe.bind(("127.0.0.1", port))


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_serve_refuses_fewer_than_one_worker(tmp_path: Path, workers: str) -> None:
    result = rpai(tmp_path, "serve", "--port", str(free_port()), "--workers", workers)
    assert (result.returncode, result.stderr) == (1, "rpai: --workers must be at least 1\n")
