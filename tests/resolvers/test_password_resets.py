"""Password resets as rules: the same answer for any email, the email through the outbox, a
one-time link valid 1 hour, sessions opened before refused after, requests rate-limited."""

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest

from contract import messages
from contract.credentials import actor_for_session
from contract.errors import BadRequest, TooManyRequests, Unauthenticated
from infra.login_limits import LoginLimits
from infra.passwords import verify_password
from infra.tokens import TokenSigner
from models import OutboxMail, Role, User, UserStatus
from models.clock import utcnow
from resolvers.mail_composers import COMPOSERS
from resolvers.mail_outbox import MailKind, MailSender
from resolvers.password_resets import (
    NO_TENANT,
    PasswordReset,
    PasswordResetRequest,
    check_reset_link,
    request_password_reset,
    reset_password,
)
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET

pytestmark = pytest.mark.usefixtures("mock_db", "cheap_hashes")

PUBLIC_URL = "https://app.example.com"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse"
SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
LINK = re.compile(re.escape(PUBLIC_URL) + r"/reinitialisation\?token=([A-Za-z0-9_-]+)")
CLIENT = "203.0.113.7"


def limits(per_address: int = 100, per_email: int = 100) -> LoginLimits:
    return LoginLimits.for_requests(
        per_address=per_address, per_email=per_email, window_seconds=3600
    )


class Outgoing:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def __call__(self, message: EmailMessage) -> None:
        self.sent.append(message)


async def send_all() -> list[EmailMessage]:
    outgoing = Outgoing()
    sender = MailSender(
        send=outgoing, composers=COMPOSERS, public_url=PUBLIC_URL, from_address="rpai@example.com"
    )
    await sender.run_once()
    return outgoing.sent


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def token_of(message: EmailMessage) -> str:
    found = LINK.search(body(message, "plain"))
    assert found is not None
    return found.group(1)


async def emailed_token(email: str) -> str:
    assert (
        await request_password_reset(
            data=PasswordResetRequest(email=email), limits=limits(), client=CLIENT
        )
        is True
    )
    [message] = await send_all()
    return token_of(message)


async def reset(token: str, password: str = NEW_PASSWORD) -> User:
    data = PasswordReset(token=token, password=password)
    return (await reset_password(data=data, signer=SIGNER)).user


async def refusal(token: str) -> str:
    with pytest.raises(BadRequest) as caught:
        await reset(token)
    return caught.value.message


class TestRequest:
    async def test_known_and_unknown_emails_get_the_same_answer_and_the_same_writes(self) -> None:
        gerant = await make_gerant(password=PASSWORD)

        known = await request_password_reset(
            data=PasswordResetRequest(email=gerant.email), limits=limits(), client=CLIENT
        )
        unknown = await request_password_reset(
            data=PasswordResetRequest(email="nobody@example.com"), limits=limits(), client=CLIENT
        )

        assert known is unknown is True
        queued = await OutboxMail.find({}).sort("created_at").to_list()
        assert [(mail.kind, mail.gerant_id, mail.data) for mail in queued] == [
            (MailKind.PASSWORD_RESET, gerant.id, {"user_id": gerant.id}),
            (MailKind.PASSWORD_RESET, NO_TENANT, {"user_id": None}),
        ]
        [message] = await send_all()  # the unknown email's is dropped when sent
        assert message["To"] == gerant.email
        assert [mail.status for mail in await OutboxMail.find({}).to_list()] == ["sent", "failed"]

    async def test_a_suspended_user_is_answered_as_an_unknown_email(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        store = await make_store(gerant)
        seller = await make_user(gerant, Role.SELLER, store, status=UserStatus.SUSPENDED)

        assert await request_password_reset(
            data=PasswordResetRequest(email=seller.email), limits=limits(), client=CLIENT
        )

        assert await send_all() == []

    async def test_the_email_has_text_and_html_with_the_link_and_a_phone_viewport(self) -> None:
        gerant = await make_gerant(password=PASSWORD)

        await request_password_reset(
            data=PasswordResetRequest(email=gerant.email), limits=limits(), client=CLIENT
        )
        [message] = await send_all()

        assert message["Subject"] == "Réinitialisation de votre mot de passe Retail Performer AI"
        token = token_of(message)
        text, html = body(message, "plain"), body(message, "html")
        assert f"Bonjour {gerant.name}," in text
        assert "ne fonctionne qu'une fois, jusqu'au" in text
        assert f'href="{PUBLIC_URL}/reinitialisation?token={token}"' in html
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert "max-width: 36rem" in html

    async def test_only_the_token_hash_is_stored(self) -> None:
        gerant = await make_gerant(password=PASSWORD)

        token = await emailed_token(gerant.email)

        stored = await User.get_motor_collection().find_one({"_id": gerant.id})
        assert stored is not None
        assert token not in str(stored)
        assert token not in str(await OutboxMail.get_motor_collection().find_one({}))
        assert stored["reset_token_hash"] is not None

    async def test_requests_are_limited_per_email_whatever_the_address(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        bounds = limits(per_email=2)
        for n in range(2):
            await request_password_reset(
                data=PasswordResetRequest(email=gerant.email),
                limits=bounds,
                client=f"198.51.100.{n}",
            )

        with pytest.raises(TooManyRequests) as caught:
            await request_password_reset(
                data=PasswordResetRequest(email=gerant.email), limits=bounds, client="198.51.100.9"
            )

        assert caught.value.message == messages.PASSWORD_RESETS_LIMITED
        assert await request_password_reset(
            data=PasswordResetRequest(email="other@example.com"), limits=bounds, client=CLIENT
        )

    async def test_requests_are_limited_per_address_whatever_the_email(self) -> None:
        bounds = limits(per_address=2)
        for n in range(2):
            await request_password_reset(
                data=PasswordResetRequest(email=f"a{n}@example.com"), limits=bounds, client=CLIENT
            )

        with pytest.raises(TooManyRequests) as caught:
            await request_password_reset(
                data=PasswordResetRequest(email="a9@example.com"), limits=bounds, client=CLIENT
            )

        assert caught.value.message == messages.PASSWORD_RESETS_LIMITED
        assert await OutboxMail.find({}).count() == 2


class TestReset:
    async def test_the_link_sets_the_password_and_logs_in(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        token = await emailed_token(gerant.email)

        await check_reset_link(token=token)
        user = await reset(token)

        assert user.id == gerant.id
        stored = await User.get(gerant.id)
        assert stored is not None
        assert await verify_password(stored.password_hash, NEW_PASSWORD)
        assert (stored.reset_token_hash, stored.reset_expires_at) == (None, None)

    async def test_the_link_works_once(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        token = await emailed_token(gerant.email)
        await reset(token)

        assert await refusal(token) == messages.PASSWORD_RESET_UNKNOWN
        with pytest.raises(BadRequest):
            await check_reset_link(token=token)

    async def test_an_expired_link_is_refused(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        token = await emailed_token(gerant.email)
        await User.get_motor_collection().update_one(
            {"_id": gerant.id}, {"$set": {"reset_expires_at": utcnow() - timedelta(seconds=1)}}
        )

        assert await refusal(token) == messages.PASSWORD_RESET_EXPIRED
        with pytest.raises(BadRequest) as caught:
            await check_reset_link(token=token)
        assert caught.value.message == messages.PASSWORD_RESET_EXPIRED

    async def test_an_unknown_link_is_refused(self) -> None:
        assert await refusal("no-such-token") == messages.PASSWORD_RESET_UNKNOWN

    async def test_a_newer_link_replaces_the_older_one(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        first = await emailed_token(gerant.email)
        second = await emailed_token(gerant.email)

        assert await refusal(first) == messages.PASSWORD_RESET_UNKNOWN
        assert (await reset(second)).id == gerant.id

    async def test_sessions_opened_before_the_reset_are_refused_after_it(self) -> None:
        gerant = await make_gerant(password=PASSWORD)
        assert gerant.password_hash is not None
        before = SIGNER.issue(gerant).token
        assert (await actor_for_session(before, signer=SIGNER)).gerant_id == gerant.id
        token = await emailed_token(gerant.email)

        result = await reset_password(
            data=PasswordReset(token=token, password=NEW_PASSWORD), signer=SIGNER
        )

        with pytest.raises(Unauthenticated):
            await actor_for_session(before, signer=SIGNER)
        after = await actor_for_session(result.token.token, signer=SIGNER)
        assert after.gerant_id == gerant.id
