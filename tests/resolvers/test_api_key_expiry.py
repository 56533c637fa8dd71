"""`api_key.expiring`: once for each key, 7 days before its expiry, whoever runs the job."""

from datetime import timedelta

import pytest

from contract.representations import api_key_out
from infra.event_log import EventLog
from models import ApiKey, Event, User
from models.clock import utcnow
from resolvers import api_key_expiry
from resolvers.api_key_expiry import record_expiring_keys
from tests.support.factories import make_api_key, make_gerant

pytestmark = pytest.mark.usefixtures("mock_db")

LOG = EventLog(retention=timedelta(days=3))


async def expiring_events(gerant: User) -> list[Event]:
    return await Event.find({"gerant_id": gerant.id, "type": "api_key.expiring"}).to_list()


async def key_expiring_in(gerant: User, delta: timedelta) -> ApiKey:
    key = (await make_api_key(gerant, expires_in_days=30)).api_key
    key.expires_at = utcnow() + delta
    await key.save()
    return key


class TestExpiringKeys:
    async def test_a_key_within_seven_days_gets_its_event_once(self) -> None:
        gerant = await make_gerant()
        key = await key_expiring_in(gerant, timedelta(days=6))
        assert await record_expiring_keys(LOG) == 1
        assert await record_expiring_keys(LOG) == 0
        [event] = await expiring_events(gerant)
        stored = await ApiKey.get(key.id)
        assert stored is not None
        assert stored.expiring_recorded_at is not None
        assert event.data == {"object": api_key_out(stored).model_dump(mode="json")}
        assert event.expires_at - event.created_at == timedelta(days=3)

    async def test_keys_not_due_get_none(self) -> None:
        gerant = await make_gerant()
        await key_expiring_in(gerant, timedelta(days=8))
        await key_expiring_in(gerant, -timedelta(minutes=1))  # expired already
        inactive = await key_expiring_in(gerant, timedelta(days=2))
        inactive.active = False
        await inactive.save()
        replaced = await key_expiring_in(gerant, timedelta(days=1))
        replaced.replaced_by = "key_other"
        await replaced.save()
        await make_api_key(gerant)  # never expires
        assert await record_expiring_keys(LOG) == 0
        assert await expiring_events(gerant) == []

    async def test_a_key_marked_by_another_process_is_not_recorded_again(self) -> None:
        gerant = await make_gerant()
        key = await key_expiring_in(gerant, timedelta(days=1))
        assert await api_key_expiry._record_expiring(key, LOG) == 1
        assert await api_key_expiry._record_expiring(key, LOG) == 0
        assert len(await expiring_events(gerant)) == 1
