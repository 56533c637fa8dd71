"""The mail outbox: emails queued in a transaction, built when sent, leased, retried, and the
webhook endpoint's disabling email."""

from datetime import timedelta
from email.message import EmailMessage

import pytest

from infra import outbox
from infra.mail import DeliveryFailed
from models import OutboxMail, WebhookEndpointStatus
from models.clock import utcnow
from resolvers.mail_composers import COMPOSERS
from resolvers.mail_outbox import Composer, Letter, Mail, MailKind, MailSender, enqueue
from tests.support.factories import make_disabled_endpoint, make_gerant

pytestmark = pytest.mark.usefixtures("mock_db")

SENDER = "Retail Performer AI <no-reply@example.com>"
PUBLIC_URL = "https://rpai.example.com"


class Outgoing:
    """A transport that keeps what it sends, or fails while `down`."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.down = False

    async def __call__(self, message: EmailMessage) -> None:
        if self.down:
            raise DeliveryFailed("SMTPConnectError: down")
        self.sent.append(message)


def sender(outgoing: Outgoing, composers: dict[str, Composer] | None = None) -> MailSender:
    return MailSender(
        send=outgoing,
        composers=COMPOSERS if composers is None else composers,
        public_url=PUBLIC_URL,
        from_address=SENDER,
    )


async def hello(letter: Letter) -> Mail | None:
    if letter.data.get("gone"):
        return None
    return Mail(to="a@example.com", subject="Bonjour", text=letter.data["text"], html="<p>Hi</p>")


HELLO: dict[str, Composer] = {MailKind.WEBHOOK_ENDPOINT_DISABLED: hello}


async def stored() -> OutboxMail:
    found = await OutboxMail.find_one({})
    assert found is not None
    return found


class TestMailOutbox:
    async def test_a_queued_email_is_built_when_sent_then_marked_sent(self) -> None:
        await enqueue(
            None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id="g", data={"text": "x"}
        )
        outgoing = Outgoing()

        assert await sender(outgoing, HELLO).run_once() == 1

        [message] = outgoing.sent
        assert (message["To"], message["Subject"], message["From"]) == (
            "a@example.com",
            "Bonjour",
            SENDER,
        )
        assert message.get_body(("plain",)).get_content() == "x\n"  # type: ignore[union-attr]
        assert message.get_body(("html",)).get_content() == "<p>Hi</p>\n"  # type: ignore[union-attr]
        mail = await stored()
        assert (mail.status, mail.attempts, mail.lease_owner) == ("sent", 1, None)
        assert mail.sent_at is not None
        assert await sender(outgoing, HELLO).run_once() == 0

    async def test_a_failed_transport_is_retried_after_the_backoff(self) -> None:
        await enqueue(
            None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id="g", data={"text": "x"}
        )
        outgoing = Outgoing()
        outgoing.down = True

        assert await sender(outgoing, HELLO).run_once() == 1

        mail = await stored()
        assert (mail.status, mail.attempts) == ("pending", 1)
        assert mail.last_error == "SMTPConnectError: down"
        assert mail.next_attempt_at > utcnow() + timedelta(seconds=25)
        assert await sender(outgoing, HELLO).run_once() == 0  # not due yet

    async def test_nothing_to_send_or_no_composer_fails_it_for_good(self) -> None:
        await enqueue(
            None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id="g", data={"gone": 1}
        )
        outgoing = Outgoing()
        await sender(outgoing, HELLO).run_once()
        assert (await stored()).last_error == "nothing to send any more"

        await OutboxMail.delete_all()
        await enqueue(None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id="g", data={})
        await sender(outgoing, {}).run_once()
        mail = await stored()
        assert (mail.status, mail.last_error) == ("failed", "no composer for this kind of email")
        assert outgoing.sent == []

    async def test_a_dead_senders_lease_is_taken_over_and_its_outcome_ignored(self) -> None:
        await enqueue(
            None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id="g", data={"text": "x"}
        )
        collection = OutboxMail.get_motor_collection()
        dead = await outbox.claim_next(collection)
        assert dead is not None
        assert await outbox.claim_next(collection) is None  # leased
        await collection.update_one({}, {"$set": {"next_attempt_at": utcnow()}})  # lease over

        outgoing = Outgoing()
        assert await sender(outgoing, HELLO).run_once() == 1
        assert not await outbox.settle(collection, dead, {"status": "failed"})
        mail = await stored()
        assert (mail.status, mail.attempts, len(outgoing.sent)) == ("sent", 2, 1)


class TestEndpointDisabledEmail:
    async def test_the_gerant_is_told_which_endpoint_and_how_to_enable_it_again(self) -> None:
        gerant = await make_gerant()
        hook = await make_disabled_endpoint(gerant, "https://erp.example.com/rpai?x=<1>")
        data = {"endpoint_id": hook.id, "days": 5.0}
        await enqueue(None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id=gerant.id, data=data)
        outgoing = Outgoing()

        await sender(outgoing).run_once()

        [message] = outgoing.sent
        assert message["To"] == gerant.email
        assert message["Subject"] == "Webhook désactivé\u202f: https://erp.example.com/rpai?x=<1>"
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert f"Bonjour {gerant.name}," in text
        assert "Depuis 5 jours, chaque envoi" in text
        assert f"PUT /api/integrations/webhook_endpoints/{hook.id}" in text
        assert f"{PUBLIC_URL}/console/" in text
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "https://erp.example.com/rpai?x=&lt;1&gt;" in html
        assert '<meta name="viewport"' in html

    async def test_an_endpoint_enabled_again_or_deleted_meanwhile_is_not_told(self) -> None:
        gerant = await make_gerant()
        hook = await make_disabled_endpoint(gerant, "https://erp.example.com/rpai?x=<1>")
        data = {"endpoint_id": hook.id, "days": 5.0}
        await enqueue(None, kind=MailKind.WEBHOOK_ENDPOINT_DISABLED, gerant_id=gerant.id, data=data)
        await hook.set({"status": WebhookEndpointStatus.ENABLED})
        outgoing = Outgoing()

        await sender(outgoing).run_once()

        assert outgoing.sent == []
        assert (await stored()).last_error == "nothing to send any more"
