"""Servers for tests, named by where they run.

In this process: `in_process_client` (the app behind an HTTP client, no socket) and
`in_process_listener` (the app behind uvicorn on a free port, for websockets).
In a child process: `subprocess_server` (`rpai serve` on a data directory, stopped at the end)
and `start_subprocess_server` (the same, left to the caller to stop or kill).
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from rpai.app import create_app
from rpai.cli import uvicorn_options
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.cli import RPAI, environment

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 60.0


@asynccontextmanager
async def in_process_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app built from `settings` in this process and give an HTTP client on it; its
    database is dropped afterwards."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
        client = app.state.database.client
        # A transaction the app could not end (the server too busy to answer its fence) stays
        # open until it expires: end them first (SecantusDB's drop can wait on their locks).
        await client.admin.command({"killAllSessions": []})
        await client.drop_database(app.state.database.name)


@asynccontextmanager
async def in_process_listener(settings: Settings) -> AsyncIterator[tuple[str, FastAPI]]:
    """Run the app built from `settings` behind a real uvicorn server on a free port of the
    loopback (websockets need one), in this event loop, configured as `rpai serve` runs it;
    its database is dropped afterwards."""
    app = create_app(settings)
    port = free_port()
    options = uvicorn_options(settings, "127.0.0.1", port)
    config = uvicorn.Config(app, **options, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await app.state.database.client.drop_database(app.state.database.name)
        server.should_exit = True
        await task


def start_subprocess_server(
    data_dir: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`rpai serve` on `data_dir` and `port`, `env` on top of its environment, once ready; in
    a session of its own, so that one signal reaches it and its database."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*RPAI, "serve", "--port", str(port)],
            env={**environment(data_dir), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            raise RuntimeError(f"rpai serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def subprocess_server(
    data_dir: Path, log: Path, env: dict[str, str] | None = None, *, kill: bool = False
) -> Iterator[str]:
    """`rpai serve` on `data_dir` on a free port while the block runs: its address. Stopped
    with SIGTERM at the end, or with `kill` at once with its database (`kill_everything`)."""
    port = free_port()
    process = start_subprocess_server(data_dir, port, log, env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        if kill:
            kill_everything(process)
        else:
            process.terminate()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


def children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc): the server's embedded database."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def kill_everything(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to a server from `start_subprocess_server` and its database at once, as a
    power cut would."""
    database = children(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in database:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
