"""App API sessions: password login and the JWT that follows it."""

from dataclasses import dataclass

from pydantic import EmailStr

from contract import messages
from contract.actor import Actor
from contract.errors import NotFound, TooManyRequests, Unauthenticated
from contract.inputs import MAX_PASSWORD_LENGTH, NewPassword
from infra.login_limits import LoginLimits
from infra.metrics import RATE_LIMITED
from infra.passwords import hash_password, needs_rehash, new_password, verify_password
from infra.tokens import IssuedToken, TokenSigner, session_stamp
from models import Store, User, UserStatus
from models.clock import utcnow
from models.user import email_key
from resolvers import scopes

MAX_EMAIL = 254


@dataclass(frozen=True)
class LoginResult:
    token: IssuedToken
    user: User


@dataclass(frozen=True)
class SessionView:
    """The logged-in user as the pages show him: who he is, and his store if he has one."""

    user: User
    store: Store | None


class PasswordChange(NewPassword):
    """A password set for the user with this email (CLI)."""

    email: EmailStr


async def login(
    *, email: str, password: str, signer: TokenSigner, limits: LoginLimits, client: str | None
) -> LoginResult:
    """Check the password of an active user; wrong email or password answer the same.

    Refused at once (429), before any lookup, while the client's address, or this email from
    it, has too many failures: a flood from elsewhere never holds back the owner's login."""
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD_LENGTH:
        raise Unauthenticated(messages.INVALID_CREDENTIALS, "bad_credentials")
    key = email_key(email)
    retry_after = limits.attempt(key, client)
    if retry_after is not None:
        RATE_LIMITED.labels("login_failures").inc()
        raise TooManyRequests(messages.LOGIN_FAILURES_LIMITED, retry_after=retry_after)
    user = await User.find_one({"email_key": key})
    hash_ = user.password_hash if user and user.status == UserStatus.ACTIVE else None
    # Checked whoever asks, against a stand-in hash when there is none: an unknown email
    # takes as long as a known one, and tells nothing.
    matched = await verify_password(hash_, password)
    if user is None or not matched:
        raise Unauthenticated(messages.INVALID_CREDENTIALS, "bad_credentials")
    limits.succeeded(key, client)
    await _upgrade_hash(user, password)
    return LoginResult(token=signer.issue(user), user=user)


async def _upgrade_hash(user: User, password: str) -> None:
    """Rehash a right password whose hash was made with an older profile. The session stamp
    stays (a legacy user's derived one is stored), so his other sessions live on; written only
    over the hash just checked, so a password set meanwhile is never undone."""
    old = user.password_hash
    if old is None or not needs_rehash(old):
        return
    stamp = session_stamp(user)
    upgraded = await hash_password(password)
    written = await User.get_motor_collection().update_one(
        {"_id": user.id, "password_hash": old},
        {"$set": {"password_hash": upgraded, "password_stamp": stamp}},
    )
    if written.modified_count == 1:
        user.password_hash, user.password_stamp = upgraded, stamp


async def set_password(*, data: PasswordChange) -> User:
    """Set a user's password (CLI); the rules are those of every password."""
    user = await User.find_one({"email_key": email_key(data.email)})
    if user is None:
        raise NotFound(messages.USER_NOT_FOUND)
    stored = await new_password(data.password)
    user.password_hash, user.password_stamp = stored.password_hash, stored.password_stamp
    user.updated_at = utcnow()
    await user.save()
    return user


async def describe_session(*, actor: Actor) -> SessionView:
    """The logged-in user and his store (managers and sellers; none for the gérant)."""
    user = actor.require_user_session()
    store = None
    if user.store_id is not None:
        store = await Store.find_one(scopes.stores(user.gerant_id, _id=user.store_id))
    return SessionView(user=user, store=store)
