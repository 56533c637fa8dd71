"""Invitations as rules: queued with the user, sent by the outbox's sender, accepted, resent."""

import logging
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest

from contract import messages
from contract.actor import Actor
from contract.credentials import actor_for_user
from contract.errors import BadRequest, Forbidden, NotFound
from contract.permissions import ALL_PERMISSIONS
from contract.validation import parse
from infra.login_limits import LoginLimits
from infra.mail import DeliveryFailed
from infra.outbox import MAX_ATTEMPTS, retry_delay
from infra.passwords import verify_password
from infra.tokens import TokenSigner, hash_invitation_token
from models import Invitation, InvitationStatus, Role, Store, User, UserStatus
from models.clock import utcnow
from resolvers import invitation_outbox as outbox
from resolvers.invitation_outbox import InvitationSender, claim_next
from resolvers.invitations import (
    InvitationAcceptance,
    accept_invitation,
    check_invitation_link,
    list_invitations,
    resend_invitation,
)
from resolvers.sessions import LoginResult, login
from resolvers.users import ManagerCreate, SellerCreate, create_manager, create_seller
from tests.support.factories import make_gerant, make_store, make_user
from tests.support.settings import TEST_JWT_SECRET

pytestmark = pytest.mark.usefixtures("mock_db")

PUBLIC_URL = "https://app.example.com"
PASSWORD = "correct horse battery"
SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
LINK = re.compile(re.escape(PUBLIC_URL) + r"/invitation\?token=([A-Za-z0-9_-]+)")


class Mailbox:
    """A stand-in transport: keeps what it is given, or fails like an SMTP outage."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.down = False

    async def send(self, message: EmailMessage) -> None:
        if self.down:
            raise DeliveryFailed("SMTPConnectError: connection refused")
        self.sent.append(message)

    def tokens(self) -> list[str]:
        return [token_of(message) for message in self.sent]


async def accept(token: str, password: str) -> LoginResult:
    """Accept an invitation from raw input, validated as the transports do."""
    data = parse(InvitationAcceptance, {"token": token, "password": password})
    return await accept_invitation(data=data, signer=SIGNER)


def token_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    body = part.get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def sender(mailbox: Mailbox) -> InvitationSender:
    return InvitationSender(
        send=mailbox.send, public_url=PUBLIC_URL, from_address="RPAI <no-reply@example.com>"
    )


async def invited_manager(
    send_invitation: bool = True, email: str = "jean@example.com"
) -> tuple[User, User]:
    """A gérant and a manager he created through the resolver; returns (gérant, manager)."""
    gerant = await make_gerant()
    store = await make_store(gerant)
    data = ManagerCreate(name="Jean Dupont", email=email, send_invitation=send_invitation)
    manager = await create_manager(actor=actor_for_user(gerant), store_id=store.id, data=data)
    return gerant, manager


async def stored(user: User) -> Invitation:
    invitation = await Invitation.find_one({"user_id": user.id})
    assert invitation is not None
    return invitation


async def sent_token(sender: InvitationSender, mailbox: Mailbox) -> str:
    assert await sender.run_once() == 1
    return mailbox.tokens()[-1]


class TestQueue:
    async def test_creating_a_manager_queues_his_invitation(self) -> None:
        gerant, manager = await invited_manager()
        invitation = await stored(manager)
        assert (invitation.gerant_id, invitation.email) == (gerant.id, "jean@example.com")
        assert (invitation.status, invitation.attempts) == (InvitationStatus.PENDING, 0)
        assert invitation.token_hash is None  # the token exists only once the email is sent

    async def test_creating_a_seller_queues_his_invitation(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        data = SellerCreate(name="Marie Martin", email="marie@example.com")
        seller = await create_seller(actor=actor_for_user(gerant), store_id=store.id, data=data)
        assert (await stored(seller)).status is InvitationStatus.PENDING

    async def test_without_send_invitation_nothing_is_queued(self) -> None:
        _, manager = await invited_manager(send_invitation=False)
        assert await Invitation.find_one({"user_id": manager.id}) is None


class TestSender:
    async def test_sends_the_link_in_french_and_stores_only_its_hash(
        self, sender: InvitationSender, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
    ) -> None:
        gerant, manager = await invited_manager()
        store = await Store.get(manager.store_id)
        assert store is not None
        with caplog.at_level(logging.DEBUG):
            token = await sent_token(sender, mailbox)
        [message] = mailbox.sent
        assert message["To"] == "jean@example.com"
        assert message["Subject"] == (
            f"{gerant.name} vous invite au {store.name} sur Retail Performer AI"
        )
        plain = message.get_body(("plain",))
        assert plain is not None
        assert "Bonjour Jean Dupont" in plain.get_content()
        invitation = await stored(manager)
        assert invitation.status is InvitationStatus.SENT
        assert invitation.token_hash == hash_invitation_token(token) != token
        assert invitation.token_expires_at is not None
        assert invitation.sent_at is not None
        assert invitation.token_expires_at - invitation.sent_at == pytest.approx(
            timedelta(days=7), abs=timedelta(seconds=5)
        )
        assert token not in caplog.text
        assert "/invitation?" not in caplog.text

    async def test_nothing_due_sends_nothing(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        await invited_manager(send_invitation=False)
        assert await sender.run_once() == 0
        assert mailbox.sent == []

    async def test_a_failed_attempt_is_retried_with_backoff_then_failed(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        mailbox.down = True
        before = utcnow()
        assert await sender.run_once() == 1
        invitation = await stored(manager)
        assert (invitation.status, invitation.attempts) == (InvitationStatus.PENDING, 1)
        assert invitation.last_error == "SMTPConnectError: connection refused"
        assert invitation.next_attempt_at >= before + timedelta(seconds=30)
        assert await sender.run_once() == 0  # not due before the backoff has passed
        for attempt in range(2, MAX_ATTEMPTS + 1):
            await Invitation.find_one({"_id": invitation.id}).update(
                {"$set": {"next_attempt_at": utcnow()}}
            )
            assert await sender.run_once() == 1
            assert (await stored(manager)).attempts == attempt
        assert (await stored(manager)).status is InvitationStatus.FAILED

    async def test_a_failed_delivery_ends_the_run(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, first = await invited_manager()
        _, second = await invited_manager(email="marie@example.com")
        mailbox.down = True
        assert await sender.run_once() == 1
        attempts = {(await stored(user)).attempts for user in (first, second)}
        assert attempts == {0, 1}  # the other one waits for the next run, untouched

    def test_backoff_doubles_up_to_an_hour(self) -> None:
        delays = [retry_delay(n).total_seconds() for n in range(1, 10)]
        assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

    async def test_a_message_whose_sender_died_is_sent_by_another(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        dead = await claim_next()  # claimed, then its process died before sending
        assert dead is not None
        assert await sender.run_once() == 0  # the lease still holds
        await Invitation.find_one({"_id": dead.invitation.id}).update(
            {"$set": {"next_attempt_at": utcnow() - timedelta(seconds=1)}}
        )
        token = await sent_token(sender, mailbox)
        invitation = await stored(manager)
        assert (invitation.status, invitation.attempts) == (InvitationStatus.SENT, 2)
        assert (
            invitation.token_hash
            == hash_invitation_token(token)
            != hash_invitation_token(dead.token)
        )
        await outbox.settle(dead, {"status": InvitationStatus.FAILED})  # too late: ignored
        assert (await stored(manager)).status is InvitationStatus.SENT

    async def test_a_user_suspended_before_sending_gets_nothing(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        await User.find_one({"_id": manager.id}).update(
            {"$set": {"status": UserStatus.SUSPENDED.value}}
        )
        assert await sender.run_once() == 1
        assert mailbox.sent == []
        invitation = await stored(manager)
        assert (invitation.status, invitation.last_error) == (
            InvitationStatus.FAILED,
            outbox.USER_INACTIVE,
        )

    async def test_a_message_that_cannot_be_built_fails_and_the_run_goes_on(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, evil = await invited_manager()
        # Stored before names were refused with a line break: no email header can carry it.
        await Store.find_one({"_id": evil.store_id}).update(
            {"$set": {"name": "Evil\r\nBcc: victim@example.com"}}
        )
        _, next_one = await invited_manager(email="marie@example.com")
        assert await sender.run_once() == 2
        assert [message["To"] for message in mailbox.sent] == ["marie@example.com"]
        failed = await stored(evil)
        assert (failed.status, failed.attempts, failed.lease_owner) == (
            InvitationStatus.FAILED,
            1,
            None,
        )
        assert failed.last_error == (
            f"{outbox.UNBUILDABLE}: ValueError: "
            "Header values may not contain linefeed or carriage return characters"
        )
        assert (await stored(next_one)).status is InvitationStatus.SENT
        assert await sender.run_once() == 0  # failed for good: not claimed again


class TestAccept:
    async def test_sets_the_password_and_logs_in_once(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        token = await sent_token(sender, mailbox)
        result = await accept(token, PASSWORD)
        assert result.user.id == manager.id
        claims = SIGNER.verify(result.token.token)
        assert claims is not None
        assert claims.user_id == manager.id
        user = await User.get(manager.id)
        assert user is not None
        assert await verify_password(user.password_hash, PASSWORD)
        assert user.password_stamp is not None
        assert claims.password_stamp == user.password_stamp
        assert (await stored(manager)).status is InvitationStatus.ACCEPTED
        with pytest.raises(BadRequest, match=messages.INVITATION_USED):
            await accept(token, PASSWORD)
        logged_in = await login(
            email="jean@example.com",
            password=PASSWORD,
            signer=SIGNER,
            limits=LoginLimits.build(per_address=5, per_email_and_address=5, window_seconds=60),
            client="127.0.0.1",
        )
        assert logged_in.user.id == manager.id

    async def test_moves_updated_at_as_stored_and_as_returned(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        an_hour_ago = utcnow() - timedelta(hours=1)
        await User.find_one({"_id": manager.id}).update({"$set": {"updated_at": an_hour_ago}})
        result = await accept(await sent_token(sender, mailbox), PASSWORD)
        saved = await User.get(manager.id)
        assert saved is not None
        assert result.user.updated_at == saved.updated_at > an_hour_ago

    async def test_unknown_token(self) -> None:
        with pytest.raises(BadRequest, match=messages.INVITATION_UNKNOWN):
            await accept("no-such-token", PASSWORD)

    async def test_expired_token(self, sender: InvitationSender, mailbox: Mailbox) -> None:
        _, manager = await invited_manager()
        token = await sent_token(sender, mailbox)
        await Invitation.find_one({"user_id": manager.id}).update(
            {"$set": {"token_expires_at": utcnow() - timedelta(seconds=1)}}
        )
        with pytest.raises(BadRequest, match=messages.INVITATION_EXPIRED):
            await accept(token, PASSWORD)

    async def test_password_rules_apply_and_keep_the_token(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        await invited_manager()
        token = await sent_token(sender, mailbox)
        with pytest.raises(BadRequest, match="password: String should have at least 10"):
            await accept(token, "short")
        assert (await accept(token, PASSWORD)).token

    async def test_a_suspended_user_cannot_accept(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        token = await sent_token(sender, mailbox)
        await User.find_one({"_id": manager.id}).update(
            {"$set": {"status": UserStatus.SUSPENDED.value}}
        )
        with pytest.raises(BadRequest, match=messages.INVITATION_USER_INACTIVE):
            await accept(token, PASSWORD)


class TestCheckLink:
    """The page asks as it opens whether the link works, without using it."""

    async def test_a_usable_link_is_checked_without_being_used(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        token = await sent_token(sender, mailbox)

        await check_invitation_link(token=token)
        await check_invitation_link(token=token)  # a reload asks again

        assert (await stored(manager)).status is InvitationStatus.SENT
        assert (await accept(token, PASSWORD)).user.id == manager.id

    async def test_used_unknown_and_expired_links_are_told_apart(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        _, manager = await invited_manager()
        token = await sent_token(sender, mailbox)
        await accept(token, PASSWORD)
        with pytest.raises(BadRequest) as used:
            await check_invitation_link(token=token)
        with pytest.raises(BadRequest) as unknown:
            await check_invitation_link(token="no-such-token")
        await Invitation.find_one({"user_id": manager.id}).update(
            {"$set": {"status": InvitationStatus.SENT.value, "token_expires_at": utcnow()}}
        )
        with pytest.raises(BadRequest) as expired:
            await check_invitation_link(token=token)

        assert [used.value.message, unknown.value.message, expired.value.message] == [
            messages.INVITATION_USED,
            messages.INVITATION_UNKNOWN,
            messages.INVITATION_EXPIRED,
        ]


class TestResend:
    async def test_a_new_link_replaces_the_old_one(
        self, sender: InvitationSender, mailbox: Mailbox
    ) -> None:
        gerant, manager = await invited_manager()
        old = await sent_token(sender, mailbox)
        resent = await resend_invitation(actor=actor_for_user(gerant), user_id=manager.id)
        assert (resent.status, resent.attempts, resent.token_hash) == (
            InvitationStatus.PENDING,
            0,
            None,
        )
        with pytest.raises(BadRequest, match=messages.INVITATION_UNKNOWN):
            await accept(old, PASSWORD)
        new = await sent_token(sender, mailbox)
        assert new != old
        assert (await accept(new, PASSWORD)).token
        with pytest.raises(BadRequest, match=messages.INVITATION_ALREADY_ACCEPTED):
            await resend_invitation(actor=actor_for_user(gerant), user_id=manager.id)

    async def test_invites_a_user_created_without_invitation(self) -> None:
        gerant, manager = await invited_manager(send_invitation=False)
        resent = await resend_invitation(actor=actor_for_user(gerant), user_id=manager.id)
        assert (resent.user_id, resent.status) == (manager.id, InvitationStatus.PENDING)

    async def test_refusals(self) -> None:
        gerant, manager = await invited_manager()
        gerant_actor = actor_for_user(gerant)
        with pytest.raises(BadRequest, match=messages.INVITATION_NOT_STAFF):
            await resend_invitation(actor=gerant_actor, user_id=gerant.id)
        other_gerant = await make_gerant()
        with pytest.raises(NotFound):
            await resend_invitation(actor=actor_for_user(other_gerant), user_id=manager.id)
        suspended = await make_user(gerant, Role.SELLER, None, UserStatus.SUSPENDED)
        with pytest.raises(BadRequest, match=messages.INVITATION_USER_INACTIVE):
            await resend_invitation(actor=gerant_actor, user_id=suspended.id)
        key_actor = Actor(
            gerant_id=gerant.id, permissions=frozenset(ALL_PERMISSIONS), store_ids=None
        )
        for actor in (actor_for_user(manager), key_actor):
            with pytest.raises(Forbidden, match=re.escape(messages.GERANT_SESSION_REQUIRED)):
                await resend_invitation(actor=actor, user_id=manager.id)


class TestList:
    async def test_the_tenants_invitations_by_status(self, sender: InvitationSender) -> None:
        gerant, manager = await invited_manager()
        await sender.run_once()
        store = await make_store(gerant)
        data = SellerCreate(name="Marie Martin", email="marie@example.com")
        seller = await create_seller(actor=actor_for_user(gerant), store_id=store.id, data=data)
        await invited_manager(email="other@example.com")  # another tenant's
        actor: Actor = actor_for_user(gerant)
        everything = await list_invitations(actor=actor, status=None, first=50, after=None)
        assert [i.user_id for i in everything.items] == [seller.id, manager.id]
        first = await list_invitations(actor=actor, status=None, first=1, after=None)
        assert ([i.user_id for i in first.items], first.has_next_page) == ([seller.id], True)
        rest = await list_invitations(actor=actor, status=None, first=1, after=first.end_cursor)
        assert ([i.user_id for i in rest.items], rest.has_next_page) == ([manager.id], False)
        sent = await list_invitations(
            actor=actor, status=InvitationStatus.SENT, first=50, after=None
        )
        assert [i.user_id for i in sent.items] == [manager.id]
        # A manager sees his store's staff's (his own here), not the other store's seller's.
        his = await list_invitations(
            actor=actor_for_user(manager), status=None, first=50, after=None
        )
        assert [i.user_id for i in his.items] == [manager.id]
        with pytest.raises(Forbidden, match=re.escape(messages.GERANT_OR_MANAGER_SESSION_REQUIRED)):
            await list_invitations(actor=actor_for_user(seller), status=None, first=50, after=None)
