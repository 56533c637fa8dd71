"""A tenant's document looked up by its id has the `_id` first in its filter: the embedded
database looks a leading `_id` up on its index, and scans the whole collection for one that
follows another field (47 ms against 1.6 ms at 2,000 users). Read from the commands the app
sends while it serves lookups by id."""

import httpx
import pytest

from models import Role
from tests.support.commands_started import commands_started
from tests.support.factories import headers, make_gerant, make_key, make_store, make_user
from tests.support.kpi_commands import filters_of

pytestmark = pytest.mark.usefixtures("client")

SELECTING = frozenset({"find", "update", "delete", "findAndModify", "count"})


async def test_lookups_by_id_lead_with_the_id(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant()
    store = await make_store(gerant)
    seller = await make_user(gerant, Role.SELLER, store)
    key = headers(await make_key(gerant))
    with commands_started() as seen:
        for path in ("/me", f"/stores/{store.id}", f"/users/{seller.id}"):
            answer = await client.get(f"/api/integrations{path}", headers=key)
            assert answer.status_code == 200, answer.text
        answer = await client.delete(f"/api/integrations/users/{seller.id}", headers=key)
        assert answer.status_code == 200, answer.text

    selecting = [started.command for started in seen if started.name in SELECTING]
    by_id = [query for command in selecting for query in filters_of(command) if "_id" in query]
    assert len(by_id) >= 4  # the gérant, the store, the seller read, then deleted
    assert [query for query in by_id if next(iter(query)) != "_id"] == []
