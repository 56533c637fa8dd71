"""Password login: unknown and known emails cost the same work, and answer the same; failures
are refused at once past their bounds, and never hold back a right password from elsewhere."""

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from contract import messages
from contract.errors import TooManyRequests, Unauthenticated
from infra import passwords
from infra.login_limits import LoginLimits
from infra.rate_limits import RateLimiter
from infra.tokens import TokenSigner
from resolvers.sessions import LoginResult, login
from tests.support.factories import make_gerant

pytestmark = pytest.mark.usefixtures("mock_db")

PASSWORD = "correct horse battery"
SIGNER = TokenSigner(secret="x" * 48, ttl=timedelta(hours=1))
ATTACKER, OWNER = "198.51.100.7", "203.0.113.9"


def limits(*, per_address: int = 50, per_pair: int = 10) -> LoginLimits:
    """The default bounds, in a window that does not end during the test."""
    clock = lambda: 1800.0  # noqa: E731 - the start of a 900-second window
    return LoginLimits(
        RateLimiter("login_fail", per_address, clock=clock, period=900),
        RateLimiter("login_fail_pair", per_pair, clock=clock, period=900),
    )


class CountingHasher:
    def __init__(self) -> None:
        self.hasher = passwords._hasher
        self.checked: list[str] = []

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, hash_: str, password: str) -> Any:
        self.checked.append(hash_)
        return self.hasher.verify(hash_, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", counting)
    return counting


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait of more than nothing the code under test asked for (and did not get)."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        if delay > 0:
            waits.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return waits


async def outcome(email: str, password: str, client: str, login_limits: LoginLimits) -> str:
    try:
        result = await login(
            email=email, password=password, signer=SIGNER, limits=login_limits, client=client
        )
    except (Unauthenticated, TooManyRequests) as refused:
        return refused.code
    assert isinstance(result, LoginResult)
    return "OK"


async def test_every_attempt_checks_one_password_hash(hasher: CountingHasher) -> None:
    gerant = await make_gerant(password=PASSWORD)
    login_limits = limits()
    for email, password in (("nobody@example.com", PASSWORD), (gerant.email, "wrong password")):
        with pytest.raises(Unauthenticated, match=messages.INVALID_CREDENTIALS):
            await login(
                email=email, password=password, signer=SIGNER, limits=login_limits, client=OWNER
            )
    await login(
        email=gerant.email, password=PASSWORD, signer=SIGNER, limits=login_limits, client=OWNER
    )
    assert len(hasher.checked) == 3
    assert hasher.checked[0] == passwords._DUMMY_HASH


@pytest.mark.usefixtures("cheap_hashes")
async def test_a_flood_elsewhere_neither_delays_nor_refuses_the_owner(
    slept: list[float],
) -> None:
    gerant = await make_gerant(password=PASSWORD)
    login_limits = limits()
    flood = await asyncio.gather(
        *(outcome(gerant.email, f"guess {n}", ATTACKER, login_limits) for n in range(12))
    )
    assert Counter(flood) == {"UNAUTHENTICATED": 10, "TOO_MANY_REQUESTS": 2}
    for n in range(20):
        assert await outcome(gerant.email, f"guess {n}", ATTACKER, login_limits) == (
            "TOO_MANY_REQUESTS"
        )
        assert await outcome(gerant.email, PASSWORD, OWNER, login_limits) == "OK"
    assert slept == []


@pytest.mark.usefixtures("cheap_hashes")
async def test_past_the_pair_bound_even_the_right_password_is_refused_unchecked(
    hasher: CountingHasher, slept: list[float]
) -> None:
    gerant = await make_gerant(password=PASSWORD)
    login_limits = limits(per_pair=3)
    for n in range(3):
        assert await outcome(gerant.email, f"guess {n}", ATTACKER, login_limits) == (
            "UNAUTHENTICATED"
        )
    checked = len(hasher.checked)
    with pytest.raises(TooManyRequests, match=messages.LOGIN_FAILURES_LIMITED) as refused:
        await login(
            email=gerant.email,
            password=PASSWORD,
            signer=SIGNER,
            limits=login_limits,
            client=ATTACKER,
        )
    assert refused.value.retry_after == 900
    assert len(hasher.checked) == checked  # refused before any lookup or hash
    assert await outcome("nobody@example.com", "guess", ATTACKER, login_limits) == (
        "UNAUTHENTICATED"
    )
    assert slept == []


@pytest.mark.usefixtures("cheap_hashes")
async def test_a_success_clears_the_owners_own_typos() -> None:
    gerant = await make_gerant(password=PASSWORD)
    login_limits = limits(per_pair=3)
    for _ in range(3):
        for n in range(2):
            assert await outcome(gerant.email, f"typo {n}", OWNER, login_limits) == (
                "UNAUTHENTICATED"
            )
        assert await outcome(gerant.email, PASSWORD, OWNER, login_limits) == "OK"
