"""Password hashing with argon2id; hashing runs off the event loop."""

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Argon2id profile (19 MiB, 2 passes, 1 lane): about 40 ms of one core a check, where
# argon2-cffi's default (64 MiB, 3 passes, 4 lanes) takes about 170 ms of 4 threads; a burst of
# wrong guesses then queues the owner's right one behind far less work.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")
STAMP_BYTES = 8


@dataclass(frozen=True)
class StoredPassword:
    """A new password as the user document keeps it: its hash, and a fresh random stamp that
    session tokens carry (infra/tokens.py), so that setting it ends the sessions before it."""

    password_hash: str
    password_stamp: str


async def new_password(password: str) -> StoredPassword:
    return StoredPassword(await hash_password(password), secrets.token_hex(STAMP_BYTES))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with another profile than today's (cheap: reads its header)."""
    return _hasher.check_needs_rehash(password_hash)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; a missing hash costs the same time as a wrong password."""
    try:
        matched = await asyncio.to_thread(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None
