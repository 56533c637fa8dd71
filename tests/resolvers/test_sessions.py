"""Password login: unknown and known emails cost the same work, and answer the same; failures
are refused at once past their bounds, and never hold back a right password from elsewhere; a
hash of an older profile is upgraded at login without ending the user's other sessions."""

import asyncio
import hashlib
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters

from contract import messages
from contract.credentials import actor_for_session
from contract.errors import TooManyRequests, Unauthenticated
from infra import passwords
from infra.login_limits import LoginLimits
from infra.rate_limits import RateLimiter
from infra.tokens import TokenSigner
from models import User
from models.clock import utcnow
from resolvers import sessions
from resolvers.sessions import LoginResult, PasswordChange, login, set_password
from tests.support.factories import make_gerant

pytestmark = pytest.mark.usefixtures("mock_db")

PASSWORD, NEW = "correct horse battery", "another horse battery"
OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"
# argon2-cffi's default profile (m=65536,t=3,p=4): every hash stored before 1.1.0 has it.
FORMER = PasswordHasher()
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

    def check_needs_rehash(self, hash_: str) -> bool:
        return self.hasher.check_needs_rehash(hash_)


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
    # The stand-in has the profile of every stored hash: it costs the same work to check.
    assert passwords._DUMMY_HASH.startswith(OWASP)
    profile = extract_parameters(passwords._DUMMY_HASH)
    assert [extract_parameters(hash_) for hash_ in hasher.checked] == [profile] * 3


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


async def with_former_hash(user: User, *, stamp: str | None) -> User:
    """The user as an earlier release stored him: his password hashed with the former profile,
    and, without a stamp, from before the session stamp was stored."""
    user.password_hash = FORMER.hash(PASSWORD)
    user.password_stamp = stamp
    await user.save()
    return user


async def stored_user(user_id: str) -> User:
    user = await User.get(user_id)
    assert user is not None
    return user


class TestUpdatedAt:
    async def test_a_rehash_at_login_leaves_it_and_a_new_password_moves_it(self) -> None:
        """A rehash changes nothing an integrator reads; a password set (CLI) is a change."""
        gerant = await make_gerant(password=PASSWORD)
        an_hour_ago = utcnow() - timedelta(hours=1)
        gerant.updated_at = an_hour_ago
        former = (await with_former_hash(gerant, stamp=gerant.password_stamp)).password_hash
        await login(
            email=gerant.email, password=PASSWORD, signer=SIGNER, limits=limits(), client=OWNER
        )
        upgraded = await stored_user(gerant.id)
        assert (upgraded.password_hash != former, upgraded.updated_at) == (True, an_hour_ago)
        await set_password(data=PasswordChange(email=gerant.email, password=NEW))
        assert (await stored_user(gerant.id)).updated_at > an_hour_ago


class TestRehashAtLogin:
    async def test_a_former_profile_hash_verifies_and_is_upgraded(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        stamp = gerant.password_stamp
        assert stamp is not None
        former = (await with_former_hash(gerant, stamp=stamp)).password_hash
        login_limits = limits()
        assert await outcome(gerant.email, "wrong password", OWNER, login_limits) == (
            "UNAUTHENTICATED"
        )
        assert (await stored_user(gerant.id)).password_hash == former
        result = await login(
            email=gerant.email, password=PASSWORD, signer=SIGNER, limits=login_limits, client=OWNER
        )
        upgraded = await stored_user(gerant.id)
        assert upgraded.password_hash != former
        assert upgraded.password_hash is not None
        assert upgraded.password_hash.startswith(OWASP)
        assert upgraded.password_stamp == stamp
        assert result.user.password_hash == upgraded.password_hash
        assert await outcome(gerant.email, PASSWORD, OWNER, login_limits) == "OK"
        assert (await stored_user(gerant.id)).password_hash == upgraded.password_hash

    @pytest.mark.parametrize("stamped", [True, False], ids=["stamped", "before-stamps"])
    async def test_keeps_the_users_other_sessions(self, stamped: bool) -> None:
        gerant = await make_gerant(password=PASSWORD)
        earlier = await with_former_hash(gerant, stamp=gerant.password_stamp if stamped else None)
        first = SIGNER.issue(earlier).token  # a session opened before the upgrade
        if not stamped:
            # as an earlier release issued it: a stamp derived from the hash
            assert earlier.password_hash is not None
            claims = SIGNER.verify(first)
            assert claims is not None
            assert (
                claims.password_stamp
                == (hashlib.sha256(earlier.password_hash.encode()).hexdigest()[:16])
            )
        second = await login(
            email=gerant.email, password=PASSWORD, signer=SIGNER, limits=limits(), client=OWNER
        )
        upgraded = await stored_user(gerant.id)
        assert upgraded.password_hash is not None
        assert upgraded.password_hash.startswith(OWASP)
        for token in (first, second.token.token):
            actor = await actor_for_session(token, signer=SIGNER)
            assert actor.user is not None
            assert actor.user.id == gerant.id

    async def test_never_undoes_a_password_set_meanwhile(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gerant = await make_gerant(password=PASSWORD)
        await with_former_hash(gerant, stamp=gerant.password_stamp)
        rehash = passwords.hash_password

        async def set_meanwhile(password: str) -> str:
            await set_password(data=PasswordChange(email=gerant.email, password=NEW))
            return await rehash(password)

        monkeypatch.setattr(sessions, "hash_password", set_meanwhile)
        result = await login(
            email=gerant.email, password=PASSWORD, signer=SIGNER, limits=limits(), client=OWNER
        )
        stored = await stored_user(gerant.id)
        assert await passwords.verify_password(stored.password_hash, NEW)
        assert not await passwords.verify_password(stored.password_hash, PASSWORD)
        with pytest.raises(Unauthenticated, match=messages.INVALID_SESSION):
            await actor_for_session(result.token.token, signer=SIGNER)
