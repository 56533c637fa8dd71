"""Forgotten passwords: a one-time link emailed through the mail outbox, valid 1 hour, that
sets a new password, ends every session opened before it and logs in."""

import logging
from html import escape
from typing import Any

from pydantic import Field

from contract import messages
from contract.errors import BadRequest, TooManyRequests
from contract.inputs import Input, NewPassword
from infra.login_limits import LoginLimits
from infra.metrics import RATE_LIMITED
from infra.passwords import new_password
from infra.tokens import (
    PASSWORD_RESET_TOKEN_TTL,
    TokenSigner,
    hash_password_reset_token,
    new_password_reset_token,
)
from models import User, UserStatus
from models.clock import utcnow
from models.user import email_key
from resolvers import scopes
from resolvers.email_layout import HTML_OPENING
from resolvers.invitation_email import PRODUCT, french_expiry
from resolvers.mail_outbox import Letter, Mail, MailKind, enqueue
from resolvers.sessions import MAX_EMAIL, LoginResult

logger = logging.getLogger(__name__)

MAX_TOKEN = 100
# The outbox email of an email no active user has: queued all the same, so an unknown email
# costs what a known one does, and dropped by its composer when sent.
NO_TENANT = "-"

SUBJECT = f"Réinitialisation de votre mot de passe {PRODUCT}"

TEXT = """Bonjour {name},

Une demande de réinitialisation du mot de passe de votre compte {product} a été faite.
Pour choisir un nouveau mot de passe, ouvrez ce lien :

{link}

Ce lien ne fonctionne qu'une fois, jusqu'au {expiry}. Une fois le mot de passe changé,
toutes les sessions ouvertes avec l'ancien sont fermées.

Vous n'avez rien demandé ? Ignorez ce message : votre mot de passe reste le même.

L'équipe {product}
"""

HTML = (
    HTML_OPENING
    + """\
<p>Une demande de réinitialisation du mot de passe de votre compte {product} a été faite.
Pour choisir un nouveau mot de passe&nbsp;:</p>
<p><a href="{link}" style="display: inline-block; padding: 10px 18px; background: #2f5bd3;
color: #ffffff; text-decoration: none; border-radius: 4px;">Choisir un nouveau mot de passe</a></p>
<p>Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur&nbsp;:<br>
<a href="{link}" style="word-break: break-all;">{link}</a></p>
<p>Ce lien ne fonctionne qu'une fois, jusqu'au <strong>{expiry}</strong>. Une fois le mot de
passe changé, toutes les sessions ouvertes avec l'ancien sont fermées.</p>
<p><strong>Vous n'avez rien demandé&nbsp;?</strong> Ignorez ce message&nbsp;: votre mot de
passe reste le même.</p>
<p>L'équipe {product}</p>
</body>
</html>
"""
)


class PasswordResetRequest(Input):
    """The email a reset link is asked for; no longer than an email may be."""

    email: str = Field(max_length=MAX_EMAIL)


class PasswordReset(NewPassword):
    """The token of a reset link and the new password."""

    token: str = Field(max_length=MAX_TOKEN)


def reset_link(public_url: str, token: str) -> str:
    """`{RPAI_PUBLIC_URL}/reinitialisation?token=…`; tokens are URL-safe as they are."""
    return f"{public_url.rstrip('/')}/reinitialisation?token={token}"


async def request_password_reset(
    *, data: PasswordResetRequest, limits: LoginLimits, client: str | None
) -> bool:
    """Queue a reset email for the active user with this email; True whoever it is.

    A known and an unknown email do the same work (one lookup, one outbox insert), so neither
    the answer nor its time tells them apart; the composer drops the unknown one when sent.
    Bounded per address and per email (429)."""
    key = email_key(data.email)
    retry_after = limits.attempt(key, client)
    if retry_after is not None:
        RATE_LIMITED.labels("password_resets").inc()
        raise TooManyRequests(messages.PASSWORD_RESETS_LIMITED, retry_after=retry_after)
    # Two fields read, not a whole user built: a hit costs what a miss does.
    found = await User.get_motor_collection().find_one(
        {"email_key": key, "status": UserStatus.ACTIVE.value}, ["gerant_id"]
    )
    tenant, user_id = (found["gerant_id"], found["_id"]) if found else (NO_TENANT, None)
    # Nothing else is written with it: no transaction to join.
    await enqueue(None, kind=MailKind.PASSWORD_RESET, gerant_id=tenant, data=reset_data(user_id))
    return True


def reset_data(user_id: str | None) -> dict[str, Any]:
    return {"user_id": user_id}


async def password_reset_mail(letter: Letter) -> Mail | None:
    """The reset email, its link minted now (only its hash is stored, replacing any earlier
    link); None for an unknown email or a user no longer active."""
    user_id = letter.data.get("user_id")
    if user_id is None:
        return None
    user = await User.find_one(scopes.users(letter.gerant_id, _id=user_id))
    if user is None or user.status is not UserStatus.ACTIVE:
        return None
    token = new_password_reset_token()
    expires_at = utcnow() + PASSWORD_RESET_TOKEN_TTL
    await User.get_motor_collection().update_one(
        scopes.users(user.gerant_id, _id=user.id),
        {
            "$set": {
                "reset_token_hash": hash_password_reset_token(token),
                "reset_expires_at": expires_at,
            }
        },
    )
    words = {
        "name": user.name,
        "product": PRODUCT,
        "link": reset_link(letter.public_url, token),
        "expiry": french_expiry(expires_at),
    }
    html = HTML.format(**{k: escape(v) for k, v in words.items()}, subject=escape(SUBJECT))
    return Mail(to=user.email, subject=SUBJECT, text=TEXT.format(**words), html=html)


async def _user_of_link(token: str) -> User:
    """The active user a usable link was sent to; refused if unknown, used or expired."""
    user = await User.find_one(
        {
            "reset_token_hash": hash_password_reset_token(token[:MAX_TOKEN]),
            "status": UserStatus.ACTIVE,
        }
    )
    if user is None:
        raise BadRequest(messages.PASSWORD_RESET_UNKNOWN)
    if user.reset_expires_at is None or user.reset_expires_at <= utcnow():
        raise BadRequest(messages.PASSWORD_RESET_EXPIRED)
    return user


async def check_reset_link(*, token: str) -> None:
    """Refuse an unknown, used or expired link without using it (the page asks on opening)."""
    await _user_of_link(token)


async def reset_password(*, data: PasswordReset, signer: TokenSigner) -> LoginResult:
    """Set the password with a reset link and log in; the link works once, and every session
    opened before (carrying the old password's stamp) is refused from now on."""
    user = await _user_of_link(data.token)
    stored = await new_password(data.password)
    now = utcnow()
    # Written only while the link is still this one: two uses at once, one wins.
    written = await User.get_motor_collection().update_one(
        scopes.users(
            user.gerant_id,
            _id=user.id,
            reset_token_hash=hash_password_reset_token(data.token),
            status=UserStatus.ACTIVE,
        ),
        {
            "$set": {
                "password_hash": stored.password_hash,
                "password_stamp": stored.password_stamp,
                "reset_token_hash": None,
                "reset_expires_at": None,
                "updated_at": now,
            }
        },
    )
    if written.modified_count != 1:
        raise BadRequest(messages.PASSWORD_RESET_UNKNOWN)
    user.password_hash, user.password_stamp = stored.password_hash, stored.password_stamp
    user.reset_token_hash = user.reset_expires_at = None
    user.updated_at = now
    logger.info("password of user %s reset", user.id)
    return LoginResult(token=signer.issue(user), user=user)
