"""The app's mail outbox end to end: SecantusDB, the background sender and a real SMTP server."""

import asyncio

from models import OutboxMail
from resolvers.mail_outbox import MailKind, enqueue
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.factories import make_disabled_endpoint, make_gerant
from tests.support.servers import in_process_client
from tests.support.smtp import smtp_server


async def test_a_disabled_endpoints_email_reaches_its_gerant(settings: Settings) -> None:
    port = free_port()
    served = settings.model_copy(
        update={
            "public_url": "https://rpai.example.com",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "outbox_poll_seconds": 0.05,
        }
    )
    with smtp_server(port) as inbox:
        async with in_process_client(served):
            gerant = await make_gerant()
            hook = await make_disabled_endpoint(gerant)
            data = {"endpoint_id": hook.id, "days": 5.0}
            kind = MailKind.WEBHOOK_ENDPOINT_DISABLED
            await enqueue(None, kind=kind, gerant_id=gerant.id, data=data)

            async with asyncio.timeout(10):
                while not inbox.envelopes:
                    await asyncio.sleep(0.05)
            [message] = inbox.messages()
            assert message["To"] == gerant.email
            assert message["Subject"] == "Webhook désactivé\u202f: https://erp.example.com/rpai"
            mail = await OutboxMail.find_one({})
            assert mail is not None
            async with asyncio.timeout(5):
                while mail.status != "sent":
                    await asyncio.sleep(0.05)
                    mail = await OutboxMail.get(mail.id) or mail
