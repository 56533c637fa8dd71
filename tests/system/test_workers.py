"""`rpai serve --workers N`: N processes on one port around one embedded database; SIGTERM
stops them all, the database last, and SIGKILL of the manager leaves no process behind."""

import re
import signal
import time
from pathlib import Path

import httpx

from rpai.database import free_port
from tests.support.servers import children, start_subprocess_server, subprocess_server

REQUESTS = 40
GONE_WITHIN_SECONDS = 30.0  # the database closes its storage first: slow on two busy cores


def alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def all_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_two_workers_share_one_database_and_stop_on_sigterm(tmp_path: Path) -> None:
    process = start_subprocess_server(
        tmp_path / "data", free_port(), tmp_path / "log", {"RPAI_WORKERS": "2"}
    )
    processes = children(process.pid)
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes]
    assert sum(b"rpai.embedded_db" in command for command in commands) == 1
    assert sum(b"multiprocessing" in command for command in commands) >= 2
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=GONE_WITHIN_SECONDS) == 0
    assert all_gone(processes)
    log = (tmp_path / "log").read_text()
    assert "Started server process" in log
    assert "Logging error" not in log  # each worker's log lines carry a request id field too


def test_no_worker_outlives_a_killed_manager(tmp_path: Path) -> None:
    process = start_subprocess_server(
        tmp_path / "data", free_port(), tmp_path / "log", {"RPAI_WORKERS": "2"}
    )
    processes = children(process.pid)
    assert len(processes) >= 3  # the database and two workers
    process.kill()
    process.wait()
    assert all_gone(processes)


def counted_requests(metrics: str, route: str) -> float:
    """The requests to `route` a Prometheus exposition counts, over all its lines."""
    pattern = rf'^rpai_http_requests_total{{[^}}]*route="{re.escape(route)}"[^}}]*}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, re.MULTILINE))


def test_the_metrics_count_every_worker_s_requests(tmp_path: Path) -> None:
    port = free_port()
    env = {"RPAI_WORKERS": "2", "RPAI_METRICS_PORT": str(port)}
    with subprocess_server(tmp_path / "data", tmp_path / "log", env) as base:
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them
            assert httpx.get(f"{base}/healthz").status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert counted_requests(metrics, "/healthz") == REQUESTS
