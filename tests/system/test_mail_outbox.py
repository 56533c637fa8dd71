"""The app's mail outbox end to end: SecantusDB, the background sender and a real SMTP server."""

import asyncio

from infra.webhook_sender import generate_secret
from models import OutboxMail, WebhookEndpoint, WebhookEndpointStatus
from resolvers.mail_outbox import MailKind, enqueue
from rpai.database import free_port
from rpai.settings import Settings
from tests.support.factories import make_gerant
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
            hook = WebhookEndpoint(
                gerant_id=gerant.id,
                url="https://erp.example.com/rpai",
                events=["*"],
                status=WebhookEndpointStatus.DISABLED,
                secret=generate_secret(),
            )
            await hook.insert()
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
