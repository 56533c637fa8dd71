"""The email that tells a gérant one of his webhook endpoints was disabled after days of failed
deliveries, in French, as plain text and HTML."""

from html import escape
from typing import Any

from models import User, UserStatus, WebhookEndpoint, WebhookEndpointStatus
from resolvers import scopes
from resolvers.email_layout import HTML_OPENING
from resolvers.invitation_email import PRODUCT, french_expiry
from resolvers.mail_outbox import Letter, Mail

SUBJECT = "Webhook désactivé\u202f: {url}"

TEXT = """Bonjour {name},

Depuis {days} jours, chaque envoi d'événement vers votre point de terminaison webhook
{url}
a échoué. Nous l'avons désactivé le {disabled_at}.

Les événements manqués restent lisibles par GET /api/integrations/events,
et l'historique des envois par GET /api/integrations/webhook_endpoints/{endpoint_id}/deliveries.

Une fois le problème corrigé, réactivez-le depuis la console ({console}) ou par
PUT /api/integrations/webhook_endpoints/{endpoint_id} avec "status": "enabled",
puis relancez les envois manqués (POST …/deliveries/{{event_id}}/retry).

L'équipe {product}
"""

HTML = (
    HTML_OPENING
    + """\
<p>Depuis {days} jours, chaque envoi d'événement vers votre point de terminaison webhook
<strong style="word-break: break-all;">{url}</strong> a échoué. Nous l'avons désactivé le
{disabled_at}.</p>
<p>Les événements manqués restent lisibles par <code>GET /api/integrations/events</code>,
et l'historique des envois par
<code>GET /api/integrations/webhook_endpoints/{endpoint_id}/deliveries</code>.</p>
<p>Une fois le problème corrigé, réactivez-le depuis la <a href="{console}">console</a> ou par
<code>PUT /api/integrations/webhook_endpoints/{endpoint_id}</code> avec
<code>"status": "enabled"</code>, puis relancez les envois manqués.</p>
<p>L'équipe {product}</p>
</body>
</html>
"""
)


def disabled_data(endpoint_id: str, days: float) -> dict[str, Any]:
    """What the email needs, queued with the disabling: the endpoint and how long it failed."""
    return {"endpoint_id": endpoint_id, "days": days}


async def endpoint_disabled_mail(letter: Letter) -> Mail | None:
    """The email to the gérant, or None if there is nothing to tell any more: the endpoint was
    deleted or enabled again, or the gérant is no longer active."""
    tenant = letter.gerant_id
    endpoint = await WebhookEndpoint.find_one(
        scopes.webhook_endpoints(tenant, _id=letter.data["endpoint_id"])
    )
    gerant = await User.find_one(scopes.users(tenant, _id=tenant))
    if (
        endpoint is None
        or endpoint.status is not WebhookEndpointStatus.DISABLED
        or gerant is None
        or gerant.status is not UserStatus.ACTIVE
    ):
        return None
    words = {
        "name": gerant.name,
        "url": endpoint.url,
        "endpoint_id": endpoint.id,
        "days": f"{letter.data['days']:g}",
        "disabled_at": french_expiry(endpoint.updated_at),
        "console": f"{letter.public_url.rstrip('/')}/console/",
        "product": PRODUCT,
    }
    subject = SUBJECT.format(url=endpoint.url)
    html = HTML.format(
        **{key: escape(value) for key, value in words.items()}, subject=escape(subject)
    )
    return Mail(to=gerant.email, subject=subject, text=TEXT.format(**words), html=html)
