"""Slows down repeated logins for one email, in this process.

Each attempt is counted when it starts, before its password is checked, so parallel attempts
are spaced out like sequential ones: after FREE_ATTEMPTS without a success, each one starts
1, 2, 4, then 8 seconds after the one before it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_ATTEMPTS = 3
WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 8.0


@dataclass
class Attempts:
    count: int
    since: float
    last_start: float


@dataclass
class LoginThrottle:
    clock: Callable[[], float] = time.monotonic
    attempts: dict[str, Attempts] = field(default_factory=dict)

    def attempt(self, email_key: str) -> float:
        """Count an attempt for this email now; the seconds it must wait before its check."""
        now = self.clock()
        seen = self.attempts.get(email_key)
        if seen is None or now - seen.since > WINDOW_SECONDS:
            seen = Attempts(count=0, since=now, last_start=now)
        gap = 0.0 if seen.count < FREE_ATTEMPTS else 2.0 ** (seen.count - FREE_ATTEMPTS)
        start = max(now, seen.last_start + min(gap, MAX_DELAY_SECONDS))
        self.attempts[email_key] = Attempts(seen.count + 1, seen.since, last_start=start)
        return start - now

    def succeeded(self, email_key: str) -> None:
        self.attempts.pop(email_key, None)
