"""Slows down repeated failed logins for one email, in this process."""

import time
from dataclasses import dataclass, field

FREE_ATTEMPTS = 3
WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 8.0


@dataclass
class LoginThrottle:
    """After FREE_ATTEMPTS consecutive failures, each attempt waits 1, 2, 4 … up to 8 seconds."""

    failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def delay(self, email_key: str) -> float:
        """Seconds to wait before checking this attempt's password."""
        count, since = self.failures.get(email_key, (0, 0.0))
        if count < FREE_ATTEMPTS or time.monotonic() - since > WINDOW_SECONDS:
            return 0.0
        return float(min(2 ** (count - FREE_ATTEMPTS), MAX_DELAY_SECONDS))

    def failed(self, email_key: str) -> None:
        count, since = self.failures.get(email_key, (0, time.monotonic()))
        if time.monotonic() - since > WINDOW_SECONDS:
            count, since = 0, time.monotonic()
        self.failures[email_key] = (count + 1, since)

    def succeeded(self, email_key: str) -> None:
        self.failures.pop(email_key, None)
