"""Where the database is and how to reach it: an external MongoDB or the embedded SecantusDB."""

import fcntl
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO

from beanie import init_beanie
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorDatabase
from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

from models import DOCUMENT_MODELS
from rpai.settings import DEFAULT_DATABASE_NAME, Settings

logger = logging.getLogger(__name__)

ADDRESS_FILE = "db-address.json"
LOCK_FILE = "db.lock"
STORAGE_SUBDIR = "db"
ADDRESS_PROBE_TIMEOUT_MS = 1000


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
    """Whether a MongoDB server answers at `url` within the timeout."""
    client: MongoClient[dict[str, object]] = MongoClient(
        url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _running_embedded_url(data_dir: Path) -> str | None:
    """The address recorded by a running embedded server on this data directory, if it answers."""
    try:
        url = str(json.loads((data_dir / ADDRESS_FILE).read_text())["url"])
    except (OSError, ValueError, KeyError):
        return None
    return url if ping(url, ADDRESS_PROBE_TIMEOUT_MS) else None


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """Take the exclusive ownership lock of the data directory, or fail with a clear message."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DatabaseError(
            f"The data directory {data_dir} is in use by another rpai process. "
            "Stop it, or set RPAI_DATA_DIR to another directory."
        ) from None
    return handle


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Own `data_dir` and run SecantusDB on it, bound to 127.0.0.1, for the block's duration."""
    from secantus import SecantusDBServer

    lock = _lock_data_dir(data_dir)
    try:
        server = SecantusDBServer(
            host="127.0.0.1",
            port=0,
            storage_path=str(data_dir / STORAGE_SUBDIR),
            enable_test_commands=False,
        )
        server.start()
        url = server.uri
        address_file = data_dir / ADDRESS_FILE
        address_file.write_text(json.dumps({"url": url, "pid": os.getpid()}))
        logger.info("embedded SecantusDB listening on %s (data in %s)", url, data_dir)
        try:
            yield url
        finally:
            address_file.unlink(missing_ok=True)
            server.stop()
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
    """A motor client whose operations fail within the configured timeout instead of hanging."""
    timeout_ms = int(settings.db_timeout_seconds * 1000)
    # timeoutMS bounds each operation as a whole, its automatic retry included.
    return AsyncIOMotorClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        timeoutMS=timeout_ms,
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
