"""Failed logins are bounded per address and per (email, address), counted as they start;
a success gives its count back; nothing is bounded per email alone."""

import time

import httpx

from infra.login_limits import LoginLimits, pair_subject
from infra.rate_limits import RateLimiter

OWNER, OTHER = "owner@example.com", "other@example.com"
ATTACKER, HOME = "198.51.100.7", "203.0.113.9"


class Clock:
    def __init__(self) -> None:
        self.now = 1800.0  # the start of a 900-second window

    def __call__(self) -> float:
        return self.now


def limits(clock: Clock, *, per_address: int = 5, per_pair: int = 3) -> LoginLimits:
    return LoginLimits(
        RateLimiter("login_fail", per_address, clock=clock, period=900),
        RateLimiter("login_fail_pair", per_pair, clock=clock, period=900),
    )


def test_a_pair_is_stored_under_a_name_without_the_email() -> None:
    """The stored counter's name: the same across processes and releases, never the email."""
    assert pair_subject(OWNER, HOME) == "25e23e43914fa0739c5879b5e9b4fe06"
    assert pair_subject(OTHER, HOME) != pair_subject(OWNER, HOME) != pair_subject(OWNER, ATTACKER)


def test_a_pair_is_refused_past_its_bound_until_the_window_ends() -> None:
    clock = Clock()
    login = limits(clock)
    assert [login.attempt(OWNER, ATTACKER) for _ in range(4)] == [None, None, None, 900]
    clock.now += 899.5
    assert login.attempt(OWNER, ATTACKER) == 1
    assert login.attempt(OTHER, ATTACKER) is None  # the address has room left
    assert login.attempt(OWNER, HOME) is None  # the owner, elsewhere: never refused for it
    clock.now += 0.5
    assert login.attempt(OWNER, ATTACKER) is None


def test_an_address_is_refused_past_its_bound_whatever_the_emails() -> None:
    login = limits(Clock())
    answers = [login.attempt(f"guess{n}@example.com", ATTACKER) for n in range(7)]
    assert answers == [None] * 5 + [900, 900]
    assert login.attempt(OWNER, HOME) is None


def test_a_success_gives_its_count_back_and_clears_its_pair() -> None:
    login = limits(Clock(), per_address=6)
    for _ in range(2):
        assert login.attempt(OWNER, HOME) is None  # two failures
    assert login.attempt(OWNER, HOME) is None
    login.succeeded(OWNER, HOME)
    # The pair starts over: three more failures; the refused fourth is not counted.
    assert [login.attempt(OWNER, HOME) for _ in range(4)] == [None, None, None, 900]
    for _ in range(20):  # the address's last free attempt, used and given back by successes
        assert login.attempt(OTHER, HOME) is None
        login.succeeded(OTHER, HOME)
    assert login.attempt(OTHER, HOME) is None
    assert login.attempt(OTHER, HOME) == 900


def test_refused_attempts_are_not_counted() -> None:
    login = limits(Clock(), per_address=5, per_pair=2)
    assert [login.attempt(OWNER, ATTACKER) for _ in range(10)] == [None, None] + [900] * 8
    assert [login.attempt(OTHER, ATTACKER) for _ in range(3)] == [None, None, 900]


def test_an_unknown_address_is_one_address() -> None:
    login = limits(Clock(), per_pair=10)
    answers = [login.attempt(f"guess{n}@example.com", None) for n in range(6)]
    assert answers == [None] * 5 + [900]


async def test_counts_and_successes_are_shared_between_processes(
    client: httpx.AsyncClient,
) -> None:
    del client  # binds the documents to the test database
    clock = Clock()
    clock.now = time.time() // 900 * 900 + 1  # a window whose counters the database keeps
    here, there = limits(clock, per_pair=3), limits(clock, per_pair=3)
    for _ in range(2):
        assert here.attempt(OWNER, HOME) is None
    await here.sync()
    assert there.attempt(OWNER, HOME) is None
    await there.sync()
    assert there.attempt(OWNER, HOME) == 899  # two here, one there
    there.succeeded(OWNER, HOME)  # the owner got it right: the pair starts over everywhere
    await there.sync()
    assert here.attempt(OWNER, HOME) is None
    await here.sync()
    assert [here.attempt(OWNER, HOME) for _ in range(3)] == [None, None, 899]
    await here.sync()  # the address has 2 + 1 - 1 + 3 = 5 failures
    assert there.attempt(OTHER, HOME) is None  # not synced yet: within the interval
    await there.sync()
    assert there.attempt(OTHER, HOME) == 899
