"""Repeated failed logins are slowed down; a success resets the count."""

from infra.login_throttle import LoginThrottle


def test_delays_grow_after_three_failures_and_cap_at_eight_seconds() -> None:
    throttle = LoginThrottle()
    delays = []
    for _ in range(8):
        delays.append(throttle.delay("a@example.com"))
        throttle.failed("a@example.com")
    assert delays == [0, 0, 0, 1, 2, 4, 8, 8]
    assert throttle.delay("b@example.com") == 0
    throttle.succeeded("a@example.com")
    assert throttle.delay("a@example.com") == 0
