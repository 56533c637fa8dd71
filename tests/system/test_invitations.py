"""Invitations end to end: SecantusDB, the app's outbox job and a real SMTP server (aiosmtpd)."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest

from contract import messages
from infra.mail import SmtpServer, smtp_send
from models import Invitation, InvitationStatus, Role
from models.clock import utcnow
from resolvers.gerants import GerantCreate, create_gerant
from resolvers.invitation_email import french_expiry
from resolvers.invitation_outbox import InvitationSender, claim_next
from resolvers.invitations import queue_invitation
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.logins import PASSWORD, error_of, gql, logged_in
from tests.support.servers import in_process_client
from tests.support.smtp import smtp_server

PUBLIC_URL = "https://rpai.example.com"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/invitation\?token=([A-Za-z0-9_-]+)")
ACCEPT = """mutation($t: String!, $p: String!) {
  acceptInvitation(token: $t, password: $p) { token user { id email role } }
}"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
INVITATIONS = """query($s: InvitationStatus) {
  invitations(status: $s) { edges { node { userId status attempts } } }
}"""


def with_smtp(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "outbox_poll_seconds": 0.05,
        }
    )


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


def link_token(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    match = LINK.search(body.get_content())
    assert match is not None
    return match.group(1)


async def create_staff(client: httpx.AsyncClient, key: str, store_id: str, kind: str) -> str:
    body = {"name": "Jean Dupont", "email": f"{kind}@example.com"}
    response = await client.post(
        f"/api/integrations/stores/{store_id}/{kind}s", json=body, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    user_id: str = response.json()[f"{kind}_id"]
    return user_id


class TestDelivery:
    async def test_the_link_arrives_and_works_once(self, settings: Settings) -> None:
        port = free_port()
        with smtp_server(port) as inbox:
            async with in_process_client(with_smtp(settings, port)) as client:
                gerant = await create_gerant(
                    data=GerantCreate(name="Alice", email="alice@example.com", password=PASSWORD)
                )
                gerant_token = await logged_in(client, gerant.email)
                store = await make_store(gerant)
                key = await make_key(gerant)
                manager_id = await create_staff(client, key, store.id, "manager")

                async def delivered() -> bool:
                    return len(inbox.envelopes) == 1

                await eventually(delivered)
                [envelope] = inbox.envelopes
                assert envelope.rcpt_tos == ["manager@example.com"]
                [message] = inbox.messages()
                assert message["Subject"] == (
                    f"Alice vous invite au {store.name} sur Retail Performer AI"
                )
                assert message["To"] == "manager@example.com"
                token = link_token(message)

                accepted = await gql(client, ACCEPT, {"t": token, "p": PASSWORD})
                result = accepted["data"]["acceptInvitation"]
                assert result["user"] == {
                    "id": manager_id,
                    "email": "manager@example.com",
                    "role": "MANAGER",
                }
                again = await gql(client, ACCEPT, {"t": token, "p": PASSWORD})
                assert error_of(again) == ("BAD_REQUEST", messages.INVITATION_USED)

                login = await gql(client, LOGIN, {"e": "manager@example.com", "p": PASSWORD})
                manager_token = login["data"]["login"]["token"]
                stores = await gql(client, "{ stores { id } }", token=manager_token)
                assert stores["data"]["stores"] == [{"id": store.id}]
                state = await gql(client, INVITATIONS, {"s": "ACCEPTED"}, token=gerant_token)
                assert state["data"]["invitations"]["edges"] == [
                    {"node": {"userId": manager_id, "status": "ACCEPTED", "attempts": 1}}
                ]

    async def test_the_email_says_who_invites_where_as_what_until_when_in_text_and_html(
        self, settings: Settings
    ) -> None:
        port = free_port()
        with smtp_server(port) as inbox:
            async with in_process_client(with_smtp(settings, port)) as client:
                gerant = await create_gerant(
                    data=GerantCreate(name="Alice Martin", email="alice@example.com")
                )
                store = await make_store(gerant, "Paris <Rivoli> & Co")
                await make_user(gerant, Role.MANAGER, store)
                await create_staff(client, await make_key(gerant), store.id, "seller")

                async def delivered() -> bool:
                    return len(inbox.envelopes) == 1

                await eventually(delivered)
                [message] = inbox.messages()
                invitation = await Invitation.find_one({"email": "seller@example.com"})
                assert invitation is not None
                assert invitation.token_expires_at is not None
        expiry = french_expiry(invitation.token_expires_at)
        assert re.fullmatch(
            r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (1er|\d{1,2}) \w+ 20\d\d "
            r"à \d\d:\d\d \(heure de Paris\)",
            expiry,
        )
        assert message.get_content_type() == "multipart/alternative"
        # Folding may start a long subject on the next line: compare the words.
        assert message["Subject"].strip() == (
            "Alice Martin vous invite au magasin Paris <Rivoli> & Co sur Retail Performer AI"
        )
        assert message["Reply-To"] == "alice@example.com"
        plain, html = message.get_body(("plain",)), message.get_body(("html",))
        assert plain is not None
        assert html is not None
        text = plain.get_content().replace("\r\n", "\n")
        markup = html.get_content().replace("\r\n", "\n")
        token = link_token(message)
        link = f"{PUBLIC_URL}/invitation?token={token}"
        assert (
            "Alice Martin vous invite à rejoindre Retail Performer AI, pour le magasin "
            "Paris <Rivoli> & Co, en tant que vendeur(se)." in text
        )
        assert f"\n{link}\n" in text
        assert f"Ce lien est personnel et ne fonctionne qu'une fois, jusqu'au {expiry}." in text
        assert "Vous n'attendiez pas cette invitation ?" in text
        assert "contactez Alice Martin (alice@example.com)" in text
        assert "<strong>Alice Martin</strong> vous invite" in markup
        assert "pour le <strong>magasin Paris &lt;Rivoli&gt; &amp; Co</strong>" in markup
        assert "en tant que <strong>vendeur(se)</strong>" in markup
        assert f'<a href="{link}"' in markup
        assert f"jusqu'au <strong>{expiry}</strong>" in markup
        assert "Vous n'attendiez pas cette invitation ?" in markup
        assert "<Rivoli>" not in markup

    async def test_an_smtp_outage_keeps_the_message_until_the_server_is_back(
        self, settings: Settings
    ) -> None:
        port = free_port()  # nothing listens there yet
        async with in_process_client(with_smtp(settings, port)) as client:
            gerant = await make_gerant()
            store = await make_store(gerant)
            await make_user(gerant, Role.MANAGER, store)
            seller_id = await create_staff(client, await make_key(gerant), store.id, "seller")

            async def attempted() -> bool:
                invitation = await Invitation.find_one({"user_id": seller_id})
                return (
                    invitation is not None
                    and invitation.attempts == 1
                    and (invitation.status is InvitationStatus.PENDING)
                )

            await eventually(attempted)
            invitation = await Invitation.find_one({"user_id": seller_id})
            assert invitation is not None
            assert invitation.last_error is not None
            assert "SMTPConnectError" in invitation.last_error
            assert invitation.next_attempt_at > utcnow() + timedelta(seconds=20)

            with smtp_server(port) as inbox:
                # The backoff has passed.
                await Invitation.find_one({"_id": invitation.id}).update(
                    {"$set": {"next_attempt_at": utcnow()}}
                )

                async def sent() -> bool:
                    found = await Invitation.find_one({"_id": invitation.id})
                    return found is not None and found.status is InvitationStatus.SENT

                await eventually(sent)
                assert [e.rcpt_tos for e in inbox.envelopes] == [["seller@example.com"]]
                sent_invitation = await Invitation.find_one({"_id": invitation.id})
                assert sent_invitation is not None
                assert (sent_invitation.attempts, sent_invitation.last_error) == (2, None)

    async def test_without_smtp_invitations_wait_and_the_log_has_no_link(
        self, settings: Settings, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO):
            async with in_process_client(settings) as client:
                gerant = await make_gerant()
                store = await make_store(gerant)
                manager_id = await create_staff(client, await make_key(gerant), store.id, "manager")
                invitation = await Invitation.find_one({"user_id": manager_id})
                assert invitation is not None
                assert (invitation.status, invitation.token_hash) == (
                    InvitationStatus.PENDING,
                    None,
                )
        assert "RPAI_SMTP_HOST is not set" in caplog.text
        assert f"for user {manager_id} <manager@example.com> queued" in caplog.text
        assert "token" not in caplog.text


@pytest.mark.usefixtures("client")
class TestSeveralSenders:
    async def test_concurrent_claims_take_each_message_once(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        users = [await make_user(gerant, Role.SELLER, store) for _ in range(30)]
        for user in users:
            await queue_invitation(user)
        claims = await asyncio.gather(*(claim_next() for _ in range(40)))
        taken = [claim.invitation.user_id for claim in claims if claim is not None]
        assert sorted(taken) == sorted(user.id for user in users)

    async def test_each_message_is_sent_by_exactly_one_sender(self) -> None:
        gerant = await make_gerant()
        store = await make_store(gerant)
        users = [await make_user(gerant, Role.SELLER, store) for _ in range(24)]
        for user in users:
            await queue_invitation(user)
        port = free_port()
        send = smtp_send(
            SmtpServer(host="127.0.0.1", port=port, username=None, password=None, starttls=False)
        )
        senders = [InvitationSender(send=send, public_url=PUBLIC_URL, from_address="a@b.c")] * 4
        with smtp_server(port) as inbox:
            handled = await asyncio.gather(*(sender.run_once() for sender in senders))
            assert sum(handled) == 24
        assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == sorted(u.email for u in users)
        sent = await Invitation.find({"status": InvitationStatus.SENT, "attempts": 1}).count()
        assert sent == 24


class TestLandingPage:
    async def test_serves_the_page_with_the_token_in_the_query(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/invitation", params={"token": "abc"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert 'lang="fr"' in response.text
        script = await client.get("/invitation/invitation.js")
        assert script.status_code == 200
        assert "acceptInvitation" in script.text
        assert (await client.get("/invitation/invitation.css")).status_code == 200
