"""App API sessions: password login and the JWT that follows it."""

import asyncio
from dataclasses import dataclass

from models import User, UserStatus
from models.clock import utcnow
from models.user import email_key
from resolvers import messages
from resolvers.errors import NotFound, Unauthenticated
from resolvers.login_throttle import login_throttle
from resolvers.passwords import (
    MAX_PASSWORD_LENGTH,
    NewPassword,
    hash_password,
    verify_password,
)
from resolvers.tokens import IssuedToken, TokenSigner
from resolvers.validation import parse

MAX_EMAIL = 254


@dataclass(frozen=True)
class LoginResult:
    token: IssuedToken
    user: User


async def login(*, email: str, password: str, signer: TokenSigner) -> LoginResult:
    """Check the password of an active user; wrong email or password answer the same."""
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD_LENGTH:
        raise Unauthenticated(messages.INVALID_CREDENTIALS, "bad_credentials")
    key = email_key(email)
    await asyncio.sleep(login_throttle.delay(key))
    user = await User.find_one({"email_key": key})
    hash_ = user.password_hash if user and user.status == UserStatus.ACTIVE else None
    if user is None or not await verify_password(hash_, password):
        login_throttle.failed(key)
        raise Unauthenticated(messages.INVALID_CREDENTIALS, "bad_credentials")
    login_throttle.succeeded(key)
    return LoginResult(token=signer.issue(user), user=user)


async def set_password(*, email: str, password: str) -> User:
    """Set a user's password (CLI); the rules are those of every password."""
    checked = parse(NewPassword, {"password": password})
    user = await User.find_one({"email_key": email_key(email)})
    if user is None:
        raise NotFound(messages.USER_NOT_FOUND)
    user.password_hash = await hash_password(checked.password)
    user.updated_at = utcnow()
    await user.save()
    return user
