"""Tokens: HS256 session JWTs carrying the user id, and the one-time invitation and
password-reset tokens."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from models import User
from models.clock import utcnow

ALGORITHM = "HS256"
AUDIENCE = "rpai-app"
INVITATION_TOKEN_BYTES = 32
# How long an emailed invitation link works after it was sent.
INVITATION_TOKEN_TTL = timedelta(days=7)
# How long an emailed password-reset link works after it was sent.
PASSWORD_RESET_TOKEN_TTL = timedelta(hours=1)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionClaims:
    user_id: str
    gerant_id: str
    password_stamp: str


def session_stamp(user: User) -> str:
    """A short, non-secret mark of the user's current password, carried by his tokens: once
    the password changes, tokens issued before it no longer match. A rehash of the same
    password keeps it. Users whose password was set before the stamp was stored get the mark
    their tokens were issued with, derived from the hash, until it is next set or rehashed."""
    if user.password_stamp is not None:
        return user.password_stamp
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenSigner:
    """Issues and checks session tokens; built once at startup from the settings."""

    secret: str
    ttl: timedelta

    def issue(self, user: User) -> IssuedToken:
        now = utcnow()
        expires_at = now + self.ttl
        claims = {
            "sub": user.id,
            "gid": user.gerant_id,
            "role": user.role.value,
            "pwd": session_stamp(user),
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        token = jwt.encode(claims, self.secret, algorithm=ALGORITHM)
        return IssuedToken(token=token, expires_at=expires_at.replace(microsecond=0))

    def verify(self, token: str) -> SessionClaims | None:
        """The claims of a valid, unexpired token signed with our secret, else None."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["sub", "gid", "exp", "iat", "pwd"]},
            )
        except jwt.PyJWTError:
            return None
        return SessionClaims(
            user_id=str(claims["sub"]),
            gerant_id=str(claims["gid"]),
            password_stamp=str(claims["pwd"]),
        )


def new_invitation_token() -> str:
    """A fresh invitation token: 32 random bytes, URL-safe; only its hash is ever stored."""
    return secrets.token_urlsafe(INVITATION_TOKEN_BYTES)


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A reset link is a one-time secret like an invitation's: minted and stored (hashed) the same way.
new_password_reset_token = new_invitation_token
hash_password_reset_token = hash_invitation_token
