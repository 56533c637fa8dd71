"""The key cache: changes made elsewhere show within the TTL, local ones at once."""

import pytest

from models import ApiKey
from resolvers.api_keys import revoke_api_key
from resolvers.auth import authenticate
from resolvers.errors import Unauthenticated
from resolvers.key_cache import key_cache
from tests.factories import make_gerant, make_key

pytestmark = pytest.mark.usefixtures("mock_db")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(key_cache, "clock", fake)
    return fake


async def test_a_change_made_elsewhere_is_seen_within_the_ttl(clock: Clock) -> None:
    key = await make_key(await make_gerant())
    await authenticate(x_api_key=key, authorization=None)
    await ApiKey.find_one().update({"$set": {"active": False}})
    clock.now += key_cache.ttl - 0.1
    assert (await authenticate(x_api_key=key, authorization=None)).key_id is not None
    clock.now += 0.2
    with pytest.raises(Unauthenticated, match="API key is inactive"):
        await authenticate(x_api_key=key, authorization=None)


@pytest.mark.usefixtures("clock")
async def test_a_revocation_in_this_process_is_immediate() -> None:
    key = await make_key(await make_gerant())
    actor = await authenticate(x_api_key=key, authorization=None)
    assert actor.key_id is not None
    await revoke_api_key(key_id=actor.key_id)
    with pytest.raises(Unauthenticated, match="API key is inactive"):
        await authenticate(x_api_key=key, authorization=None)


@pytest.mark.usefixtures("clock")
async def test_a_cached_key_still_expires_on_time() -> None:
    key = await make_key(await make_gerant(), expires_in_days=1)
    await authenticate(x_api_key=key, authorization=None)
    [(cached, fetched)] = key_cache.entries.values()
    assert cached.expires_at is not None
    cached.expires_at = cached.expires_at.replace(year=2000)
    with pytest.raises(Unauthenticated, match="API key has expired"):
        await authenticate(x_api_key=key, authorization=None)
    assert fetched > 0
