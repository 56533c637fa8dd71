"""Repeated logins for one email are spaced out, counted as they start; a success resets."""

import itertools

from infra.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sequential_failures_wait_1_2_4_then_8_seconds() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    delays = []
    for _ in range(8):
        delay = throttle.attempt("a@example.com")
        delays.append(delay)
        clock.now += delay  # the attempt runs once its wait is over, and fails
    assert delays == [0, 0, 0, 1, 2, 4, 8, 8]
    assert throttle.attempt("b@example.com") == 0
    throttle.succeeded("a@example.com")
    assert throttle.attempt("a@example.com") == 0


def test_parallel_attempts_are_spaced_out_as_they_start() -> None:
    throttle = LoginThrottle(clock=Clock())
    delays = [throttle.attempt("a@example.com") for _ in range(100)]
    assert delays[:7] == [0, 0, 0, 1, 3, 7, 15]
    assert delays[-1] == 15 + 8 * 93
    assert all(later - earlier >= 8 for earlier, later in itertools.pairwise(delays[6:]))
