"""Fixtures: mongomock for rules, a SecantusDB server for everything over the wire."""

import contextlib
import itertools
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from operator import attrgetter
from typing import Any
from uuid import uuid4

import httpx
import mongomock.collection
import pytest
from argon2 import PasswordHasher
from beanie import Document, init_beanie
from hypothesis import Phase
from hypothesis import settings as hypothesis_settings
from mongomock_motor import AsyncMongoMockClient
from secantus import SecantusDBServer

from infra import passwords
from models import DOCUMENT_MODELS, transactions
from rpai.settings import Settings
from tests.support.servers import in_process_client
from tests.support.settings import settings_for

# `make mutation` (--hypothesis-profile=mutation): a failing example kills the mutant, and
# shrinking it would only cost time.
hypothesis_settings.register_profile(
    "mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate]
)


def _patch_mongomock_bulk_sort() -> None:
    """pymongo >= 4.11 passes `sort` to bulk updates and replacements, which mongomock 4.3
    does not accept."""
    builder: Any = mongomock.collection.BulkOperationBuilder
    for name in ("add_update", "add_replace"):
        original = getattr(builder, name)

        def without_sort(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            kwargs.pop("sort", None)
            return _original(self, *args, **kwargs)

        setattr(builder, name, without_sort)


_patch_mongomock_bulk_sort()


async def _client_bulk_write(
    self: Any,
    models: list[Any],
    session: Any = None,  # noqa: ARG001
    ordered: bool = True,
) -> None:
    """MongoDB 8.0's client-level bulkWrite, which mongomock lacks: each run of writes to one
    collection is that collection's bulk write, in order (mongomock has no sessions)."""
    for namespace, run in itertools.groupby(models, key=attrgetter("_namespace")):
        database, _, collection = namespace.partition(".")
        await self[database][collection].bulk_write(list(run), ordered=ordered)


AsyncMongoMockClient.bulk_write = _client_bulk_write  # type: ignore[assignment]


# The ports servers take by default: the API's (`make run`), its metrics' and MongoDB's. No test
# may use one: a developer's `make run` serves there while the suite runs.
DEFAULT_PORTS = (8000, 9464, 27017)


@pytest.fixture(scope="session", autouse=True)
def default_ports_held() -> Iterator[None]:
    """Bind the default ports (without listening) for the whole run, where free: a server a
    test starts on one fails at once, a call to one is refused, as under `make run`. Every
    xdist worker holds them (SO_REUSEPORT, which servers do not set), so the guard lasts until
    the last worker ends. A port already taken (by `make run`) is left as it is."""
    with contextlib.ExitStack() as held:
        for port in DEFAULT_PORTS:
            guard = held.enter_context(socket.socket())
            guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with contextlib.suppress(OSError):
                guard.bind(("0.0.0.0", port))
        yield


@asynccontextmanager
async def no_transaction(_document: type[Document]) -> AsyncIterator[None]:
    """mongomock has no sessions: its writes run outside any transaction."""
    yield None


@pytest.fixture
async def mock_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh in-memory database for rules; indexes and transactions are tested on SecantusDB."""
    monkeypatch.setattr(transactions, "transaction", no_transaction)
    client: Any = AsyncMongoMockClient(tz_aware=True)
    database = client[f"unit_{uuid4().hex}"]
    await init_beanie(database=database, document_models=DOCUMENT_MODELS, skip_indexes=True)


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its lowest cost, for tests about bounds rather than hashing."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("stand-in"))


@pytest.fixture(scope="session")
def secantus_uri() -> Iterator[str]:
    """One SecantusDB server for the whole run, with test commands (fail points) enabled."""
    with (
        tempfile.TemporaryDirectory(prefix="rpai-tests-") as storage,
        SecantusDBServer(host="127.0.0.1", port=0, storage_path=storage) as server,
    ):
        yield server.uri


@pytest.fixture
def settings(secantus_uri: str) -> Settings:
    """Settings pointing at a database of its own on the test server."""
    return settings_for(f"{secantus_uri}test_{uuid4().hex}")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app with its lifespan running; the test database is dropped after."""
    async with in_process_client(settings) as http:
        yield http
