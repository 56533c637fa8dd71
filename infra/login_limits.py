"""Failed logins, bounded per client address and per (email, client address).

An attempt is counted when it starts, before its password is checked, so a parallel flood is
bounded as a sequential one; a success takes its own count back from its address and clears
its (email, address) pair. Past a bound an attempt is refused at once, uncounted (it checks no
password): nothing waits. There is no bound per email alone, which would let anyone who knows
an email lock its owner out.

The same bounds guard password-reset requests (`for_requests`), whose second bound is per
email whatever the address: no one fills an inbox by asking from many addresses.

Counts are those of the shared rate limits (in process, synced through MongoDB): exact in one
process, approximate across processes within the sync interval.
"""

import hashlib
from dataclasses import dataclass

from infra.rate_limits import RateLimiter

UNKNOWN_ADDRESS = "unknown"


def pair_subject(email_key: str, address: str) -> str:
    """The counter's name for an (email, address) pair: stored, so the email is hashed."""
    return hashlib.sha256(f"{email_key}\n{address}".encode()).hexdigest()[:32]


def email_subject(email_key: str) -> str:
    """The counter's name for an email alone: stored, so hashed."""
    return hashlib.sha256(email_key.encode()).hexdigest()[:32]


@dataclass
class LoginLimits:
    per_address: RateLimiter
    per_email_and_address: RateLimiter
    # True: the second bound counts the email from every address (password-reset requests).
    email_alone: bool = False

    @classmethod
    def build(
        cls, *, per_address: int, per_email_and_address: int, window_seconds: int
    ) -> "LoginLimits":
        return cls(
            RateLimiter("login_fail", per_address, period=window_seconds),
            RateLimiter("login_fail_pair", per_email_and_address, period=window_seconds),
        )

    @classmethod
    def for_requests(
        cls, *, per_address: int, per_email: int, window_seconds: int
    ) -> "LoginLimits":
        """Bounds on requests that send an email (password resets): every request counts."""
        return cls(
            RateLimiter("reset_request", per_address, period=window_seconds),
            RateLimiter("reset_request_email", per_email, period=window_seconds),
            email_alone=True,
        )

    def _second(self, email_key: str, address: str) -> str:
        if self.email_alone:
            return email_subject(email_key)
        return pair_subject(email_key, address)

    def attempt(self, email_key: str, address: str | None) -> int | None:
        """Count an attempt starting now: None if it may go on, else the seconds until the
        window that refuses it ends."""
        address = address or UNKNOWN_ADDRESS
        pair = self._second(email_key, address)
        windows = (self.per_address.peek(address), self.per_email_and_address.peek(pair))
        refusing = [window.reset for window in windows if window.remaining <= 0]
        if refusing:
            return max(refusing)
        # Counted before the caller awaits anything: the next attempt already sees this one.
        self.per_address.hit(address)
        self.per_email_and_address.hit(pair)
        return None

    def succeeded(self, email_key: str, address: str | None) -> None:
        """The attempt was right: it is no failure of its address, and its pair starts over."""
        address = address or UNKNOWN_ADDRESS
        self.per_address.forget(address, 1)
        self.per_email_and_address.forget(pair_subject(email_key, address))

    async def sync(self) -> None:
        await self.per_address.sync()
        await self.per_email_and_address.sync()
