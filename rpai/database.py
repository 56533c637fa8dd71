"""Where the database is and how to reach it: an external MongoDB or the embedded SecantusDB."""

import fcntl
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import quote

from beanie import init_beanie
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

from models import DOCUMENT_MODELS
from rpai.settings import DEFAULT_DATABASE_NAME, Settings

logger = logging.getLogger(__name__)

ADDRESS_FILE = "db-address.json"
CREDENTIALS_FILE = "db-credentials.json"
LOCK_FILE = "db.lock"
STORAGE_SUBDIR = "db"
DB_USER = "rpai"
ADDRESS_PROBE_TIMEOUT_MS = 1000
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
RESTART_PAUSE_SECONDS = 1.0
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class DatabaseError(RuntimeError):
    """The database cannot be started or reached; the message is meant for a person."""


def describe_url(url: str) -> str:
    """The hosts of a MongoDB URL, without credentials, for messages and logs."""
    try:
        nodes = parse_uri(url)["nodelist"]
    except Exception:
        return "the configured MongoDB URL"
    return ",".join(f"{host}:{port}" for host, port in nodes)


def database_name(url: str) -> str:
    """The database named in the URL path, else the default one."""
    return parse_uri(url).get("database") or DEFAULT_DATABASE_NAME


def ping(url: str, timeout_ms: int) -> bool:
    """Whether a MongoDB server answers, and accepts our credentials, within the timeout."""
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("listDatabases", nameOnly=True)
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def private_directory(path: Path) -> Path:
    """`path`, created if needed, readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, from its first byte."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    path.chmod(PRIVATE_FILE)


def embedded_credentials(data_dir: Path) -> tuple[str, str]:
    """The embedded database's user and password, generated at first start and kept there."""
    path = data_dir / CREDENTIALS_FILE
    if not path.exists():
        write_private(
            path, json.dumps({"username": DB_USER, "password": secrets.token_urlsafe(32)})
        )
    login = json.loads(path.read_text())
    return str(login["username"]), str(login["password"])


def embedded_url(data_dir: Path, port: int) -> str:
    username, password = embedded_credentials(data_dir)
    return f"mongodb://{quote(username)}:{quote(password)}@127.0.0.1:{port}/?authSource=admin"


def _running_embedded_url(data_dir: Path) -> str | None:
    """The address recorded by a running embedded server on this data directory, if it answers."""
    try:
        port = int(json.loads((data_dir / ADDRESS_FILE).read_text())["port"])
        url = embedded_url(data_dir, port)
    except (OSError, ValueError, KeyError):
        return None
    return url if ping(url, ADDRESS_PROBE_TIMEOUT_MS) else None


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """Take the exclusive ownership lock of the data directory, or fail with a clear message."""
    private_directory(data_dir)
    descriptor = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    handle = os.fdopen(descriptor, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseError(
            f"The data directory {data_dir} is in use by another rpai process. "
            "Stop it, or set RPAI_DATA_DIR to another directory."
        ) from None
    return handle


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedDatabase:
    """SecantusDB in a child process on one port, started again if it dies on its own."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = embedded_url(data_dir, port)
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.supervisor = threading.Thread(
            target=self._supervise, daemon=True, name="embedded-db-supervisor"
        )

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "rpai.embedded_db",
            "--storage",
            str(self.data_dir / STORAGE_SUBDIR),
            "--port",
            str(self.port),
            "--credentials",
            str(self.data_dir / CREDENTIALS_FILE),
        ]
        # A session of its own: Ctrl-C at a terminal reaches the server, which stops it after.
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)

    def _ready(self, process: subprocess.Popen[bytes], deadline: float) -> bool:
        """Wait for the child to answer; False if it stopped first (its storage still busy)."""
        while not ping(self.url, ADDRESS_PROBE_TIMEOUT_MS):
            if process.poll() is not None:
                return False
            if time.monotonic() > deadline:
                process.kill()
                raise DatabaseError(
                    f"The embedded database did not start within {START_TIMEOUT_SECONDS:g} s."
                )
            time.sleep(0.05)
        return True

    def start(self) -> None:
        """Start the child; one that stops at once is tried again for a while, since a child of
        a server killed a moment ago may still be closing the same storage."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        self.process = self._spawn()
        while not self._ready(self.process, deadline):
            if time.monotonic() > deadline:
                raise DatabaseError(
                    f"The embedded database stopped at start (exit status "
                    f"{self.process.returncode}); see the lines above. "
                    f"Its data is in {self.data_dir}."
                )
            time.sleep(RESTART_PAUSE_SECONDS)
            self.process = self._spawn()
        self.supervisor.start()

    def _supervise(self) -> None:
        while not self.stopping.is_set():
            assert self.process is not None
            status = self.process.wait()
            if self.stopping.is_set():
                return
            logger.error("embedded database exited with status %s: starting it again", status)
            time.sleep(RESTART_PAUSE_SECONDS)
            self.process = self._spawn()

    def stop(self) -> None:
        """Stop the child cleanly (SIGTERM, so WiredTiger closes its files), or kill it."""
        self.stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.error("embedded database did not stop within %s s: killed", STOP_TIMEOUT_SECONDS)
            process.kill()
            process.wait()


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Own `data_dir` and run SecantusDB on it, on 127.0.0.1, for the block's duration."""
    lock = _lock_data_dir(data_dir)
    try:
        database = EmbeddedDatabase(data_dir, free_port())
        database.start()
        address_file = data_dir / ADDRESS_FILE
        write_private(address_file, json.dumps({"port": database.port, "pid": os.getpid()}))
        logger.info(
            "embedded SecantusDB listening on 127.0.0.1:%d (data in %s)", database.port, data_dir
        )
        try:
            yield database.url
        finally:
            address_file.unlink(missing_ok=True)
            database.stop()
    finally:
        lock.close()


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """MONGODB_URL, else the embedded server already running on the data dir, else a new one."""
    if settings.mongodb_url:
        yield settings.mongodb_url
        return
    running = _running_embedded_url(settings.data_dir)
    if running:
        yield running
        return
    with embedded_server(settings.data_dir) as url:
        yield url


def make_client(url: str, settings: Settings) -> AsyncIOMotorClient[dict[str, object]]:
    """A motor client whose operations fail within the configured timeout instead of hanging,
    and whose acknowledged writes are durable: journaled, and on a majority of a replica set."""
    timeout_ms = int(settings.db_timeout_seconds * 1000)
    # timeoutMS bounds each operation as a whole, its automatic retry included.
    return AsyncIOMotorClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        timeoutMS=timeout_ms,
        w="majority",
        journal=True,
    )


async def init_models(database: AsyncIOMotorDatabase[dict[str, object]]) -> None:
    """Bind every Beanie document to `database` and build its indexes."""
    await init_beanie(database=database, document_models=DOCUMENT_MODELS)


@asynccontextmanager
async def connected(
    url: str, settings: Settings
) -> AsyncIterator[AsyncIOMotorDatabase[dict[str, object]]]:
    """Connect to `url`, check it answers within the timeout, init Beanie, and close afterwards."""
    client = make_client(url, settings)
    try:
        try:
            await client.admin.command("ping")
        except PyMongoError as exc:
            raise DatabaseError(
                f"Cannot reach MongoDB at {describe_url(url)} within "
                f"{settings.db_timeout_seconds:g} s. Check MONGODB_URL and that the server is up."
            ) from exc
        database = client[database_name(url)]
        await init_models(database)
        yield database
    finally:
        client.close()
