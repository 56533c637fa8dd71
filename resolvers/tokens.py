"""Session tokens of the App API: HS256 JWTs carrying the user id, signed with RPAI_JWT_SECRET."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from models import User
from models.clock import utcnow
from resolvers import messages
from resolvers.errors import Unauthenticated

ALGORITHM = "HS256"
AUDIENCE = "rpai-app"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionClaims:
    user_id: str
    gerant_id: str


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
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        token = jwt.encode(claims, self.secret, algorithm=ALGORITHM)
        return IssuedToken(token=token, expires_at=expires_at.replace(microsecond=0))

    def verify(self, token: str) -> SessionClaims:
        """The claims of a valid, unexpired token signed with our secret, else 401."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": ["sub", "gid", "exp", "iat"]},
            )
        except jwt.PyJWTError:
            raise Unauthenticated(messages.INVALID_SESSION, "invalid_session") from None
        return SessionClaims(user_id=str(claims["sub"]), gerant_id=str(claims["gid"]))
