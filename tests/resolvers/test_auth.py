"""API keys as actors, through the key cache: changes made elsewhere show within its TTL, local
ones at once."""

import pytest

from contract.credentials import actor_for_api_key
from contract.errors import Unauthenticated
from infra.key_directory import KeyDirectory
from models import ApiKey
from resolvers.api_keys import revoke_api_key
from tests.support.factories import make_gerant, make_key

pytestmark = pytest.mark.usefixtures("mock_db")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(clock: Clock) -> KeyDirectory:
    return KeyDirectory(clock=clock)


async def test_a_change_made_elsewhere_is_seen_within_the_ttl(
    clock: Clock, keys: KeyDirectory
) -> None:
    key = await make_key(await make_gerant())
    await actor_for_api_key(key, keys=keys)
    await ApiKey.find_one().update({"$set": {"active": False}})
    clock.now += keys.ttl - 0.1
    assert (await actor_for_api_key(key, keys=keys)).key_id is not None
    clock.now += 0.2
    with pytest.raises(Unauthenticated, match="API key is inactive"):
        await actor_for_api_key(key, keys=keys)


async def test_a_revocation_in_this_process_is_immediate(keys: KeyDirectory) -> None:
    key = await make_key(await make_gerant())
    actor = await actor_for_api_key(key, keys=keys)
    assert actor.key_id is not None
    await revoke_api_key(key_id=actor.key_id, keys=keys)
    with pytest.raises(Unauthenticated, match="API key is inactive"):
        await actor_for_api_key(key, keys=keys)


async def test_a_cached_key_still_expires_on_time(keys: KeyDirectory) -> None:
    key = await make_key(await make_gerant(), expires_in_days=1)
    await actor_for_api_key(key, keys=keys)
    [(cached, fetched)] = keys.by_hash.values()
    assert cached.expires_at is not None
    cached.expires_at = cached.expires_at.replace(year=2000)
    with pytest.raises(Unauthenticated, match="API key has expired"):
        await actor_for_api_key(key, keys=keys)
    assert fetched > 0
