"""Incremental reads (`updated_since`) and pages of stores find a tenant's documents on an
index, never by reading the whole collection (on SecantusDB, whose planner shows a scan)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from models import Role, Store
from models.clock import utcnow
from tests.support.commands_started import commands_started
from tests.support.factories import make_gerant, make_key, make_store, make_user

pytestmark = pytest.mark.usefixtures("client")


# A find command as sent: collection, filter, sort, and its index hint if any.
Find = tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]


def find_of(command: dict[str, Any]) -> Find:
    hint = {"hint": command["hint"]} if "hint" in command else {}
    return command["find"], dict(command.get("filter", {})), dict(command.get("sort", {})), hint


@contextmanager
def listening() -> Iterator[list[Find]]:
    """The find commands started while the block runs."""
    finds: list[Find] = []
    with commands_started() as seen:
        yield finds
    finds += [find_of(started.command) for started in seen if started.name == "find"]


async def test_updated_since_and_pages_read_on_an_index(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    key = await make_key(gerant)
    for _ in range(3):
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store)
    since = (utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {"X-API-Key": key}
    with listening() as seen:
        for path in (
            f"/stores?updated_since={since}",
            f"/stores?updated_since={since}&limit=2&starting_after={store.id}",
            f"/stores?limit=2&starting_after={store.id}",
            f"/users?updated_since={since}",
            f"/users?updated_since={since}&limit=2&starting_after={seller.id}",
        ):
            response = await client.get(f"/api/integrations{path}", headers=headers)
            assert response.status_code == 200, response.text
    listed = [command for command in seen if command[0] in ("stores", "users")]
    assert [(c, "updated_at" in f) for c, f, _, _ in listed] == [
        ("stores", True),
        ("stores", True),
        ("stores", False),
        ("users", True),
        ("users", True),
    ]
    database = Store.get_motor_collection().database
    for collection, query, sort, hint in listed:
        command = {"find": collection, "filter": query, "sort": sort, **hint}
        plan = await database.command("explain", command)
        assert "COLLSCAN" not in str(plan["queryPlanner"]["winningPlan"]), (collection, query)
