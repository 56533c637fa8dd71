"""Every database operation of a request carries the time left of the request's budget."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from pymongo import monitoring

from models import Role
from rpai.settings import Settings
from tests.support.app import key_known
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.round_trips import database_of


class MaxTimes(monitoring.CommandListener):
    """The maxTimeMS of each command sent to one database (None when it has none)."""

    def __init__(self) -> None:
        self.database = ""
        self.seen: list[tuple[str, int | None]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if database_of(event) == self.database and event.command_name not in IGNORED:
            self.seen.append((event.command_name, event.command.get("maxTimeMS")))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        del event

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        del event


IGNORED = frozenset({"endSessions", "hello", "isMaster", "ismaster", "getMore"})
LISTENER = MaxTimes()
monitoring.register(LISTENER)


@contextmanager
def watching(settings: Settings) -> Iterator[list[tuple[str, int | None]]]:
    assert settings.mongodb_url is not None
    LISTENER.database, LISTENER.seen = settings.mongodb_url.rsplit("/", 1)[1], []
    yield LISTENER.seen
    LISTENER.database = ""


async def test_each_operation_carries_what_remains_of_the_budget(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    key = await make_key(gerant)
    await key_known(client, key)
    entries = [
        {"seller_id": seller.id, "ca_journalier": 12.5, "nb_ventes": 1, "nb_articles": 2}
        for seller in sellers
    ]
    with watching(settings) as seen:
        synced = await client.post(
            "/api/integrations/kpi/sync",
            json={"store_id": store.id, "date": "2024-01-15", "kpi_entries": entries},
            headers={"X-API-Key": key},
        )
    assert synced.status_code == 200
    budget = settings.db_timeout_seconds * 1000
    assert all(max_time is not None for _, max_time in seen), seen
    times = [max_time or 0 for _, max_time in seen]
    assert [name for name, _ in seen] == ["find", "find", "find", "insert", "bulkWrite"]
    assert all(0 < max_time <= budget for max_time in times), seen
    # One budget for the whole request: each operation gets what the earlier ones left.
    assert times == sorted(times, reverse=True)
    assert times[-1] < times[0]
