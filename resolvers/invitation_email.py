"""The invitation email, in French: who invites, to which store and role, until when the link
works, and what to do if it was not expected; as plain text and HTML (one multipart message)."""

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from html import escape
from zoneinfo import ZoneInfo

from models import Role, Store, User
from resolvers.email_layout import HTML_OPENING
from resolvers.french_calendar import MONTHS, WEEKDAYS

# The shops are in France: the link's end is told in the time their staff read.
LOCAL_TIME = ZoneInfo("Europe/Paris")
PRODUCT = "Retail Performer AI"
ROLE_LABELS = {Role.GERANT: "gérant(e)", Role.MANAGER: "manager", Role.SELLER: "vendeur(se)"}
UNKNOWN_GERANT = "Votre gérant(e)"

TEXT = """Bonjour {name},

{gerant} vous invite à rejoindre {product}{store_part} en tant que {role}.

{product} rassemble les chiffres de vente{of_store} : chiffre d'affaires, panier moyen,
indice de vente, taux de transformation. Pour activer votre compte, choisissez votre mot de passe
en ouvrant ce lien :

{link}

Ce lien est personnel et ne fonctionne qu'une fois, jusqu'au {expiry}.
Passé ce délai, demandez à {gerant} de vous envoyer une nouvelle invitation.

Vous n'attendiez pas cette invitation ? N'ouvrez pas le lien et ne communiquez aucune
information : supprimez simplement ce message, aucun compte ne sera activé sans vous.
En cas de doute, contactez {gerant}{gerant_email} par un moyen que vous connaissez déjà.

L'équipe {product}
"""

HTML = (
    HTML_OPENING
    + """\
<p><strong>{gerant}</strong> vous invite à rejoindre {product}{store_part_html}
en tant que <strong>{role}</strong>.</p>
<p>{product} rassemble les chiffres de vente{of_store} : chiffre d'affaires, panier moyen,
indice de vente, taux de transformation. Pour activer votre compte, choisissez votre mot de
passe :</p>
<p><a href="{link}" style="display: inline-block; padding: 10px 18px; background: #2f5bd3;
color: #ffffff; text-decoration: none; border-radius: 4px;">Activer mon compte</a></p>
<p>Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br>
<a href="{link}" style="word-break: break-all;">{link}</a></p>
<p>Ce lien est personnel et ne fonctionne qu'une fois, jusqu'au <strong>{expiry}</strong>.
Passé ce délai, demandez à {gerant} de vous envoyer une nouvelle invitation.</p>
<p><strong>Vous n'attendiez pas cette invitation ?</strong> N'ouvrez pas le lien et ne
communiquez aucune information : supprimez simplement ce message, aucun compte ne sera activé
sans vous. En cas de doute, contactez {gerant}{gerant_email} par un moyen que vous connaissez
déjà.</p>
<p>L'équipe {product}</p>
</body>
</html>
"""
)


@dataclass(frozen=True)
class InvitationContent:
    """What the email says: to whom, from which gérant, for which store and role, until when."""

    user: User
    gerant: User | None
    store: Store | None
    link: str
    expires_at: datetime


def invitation_link(public_url: str, token: str) -> str:
    """`{RPAI_PUBLIC_URL}/invitation?token=…`; tokens are URL-safe as they are."""
    return f"{public_url.rstrip('/')}/invitation?token={token}"


def french_expiry(moment: datetime) -> str:
    """`vendredi 14 mars 2025 à 14:30 (heure de Paris)`."""
    local = moment.astimezone(LOCAL_TIME)
    day = "1er" if local.day == 1 else str(local.day)
    return (
        f"{WEEKDAYS[local.weekday()]} {day} {MONTHS[local.month - 1]} {local.year} "
        f"à {local:%H:%M} (heure de Paris)"
    )


def store_words(name: str) -> str:
    """`magasin Lyon`, but a store already named `Magasin Lyon` stays so (never "magasin
    Magasin Lyon"); the article before it (au, du, pour le) fits either."""
    if name.casefold().startswith("magasin "):
        return name
    return f"magasin {name}"


def subject(content: InvitationContent) -> str:
    gerant = content.gerant.name if content.gerant else UNKNOWN_GERANT
    where = f" au {store_words(content.store.name)}" if content.store else ""
    return f"{gerant} vous invite{where} sur {PRODUCT}"


def invitation_message(*, content: InvitationContent, sender: str) -> EmailMessage:
    """The email, text and HTML alternatives of the same words; every name is escaped in HTML."""
    gerant = content.gerant.name if content.gerant else UNKNOWN_GERANT
    gerant_email = f" ({content.gerant.email})" if content.gerant else ""
    store = store_words(content.store.name) if content.store else None
    words = {
        "name": content.user.name,
        "gerant": gerant,
        "gerant_email": gerant_email,
        "role": ROLE_LABELS[content.user.role],
        "product": PRODUCT,
        "of_store": f" du {store}" if store else "",
        "link": content.link,
        "expiry": french_expiry(content.expires_at),
    }
    title = subject(content)
    text = TEXT.format(**words, store_part=f", pour le {store}," if store else "")
    store_part_html = f", pour le <strong>{escape(store)}</strong>," if store else ""
    html = HTML.format(
        **{name: escape(value) for name, value in words.items()},
        subject=escape(title),
        store_part_html=store_part_html,
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = content.user.email
    message["Subject"] = title
    if content.gerant:
        message["Reply-To"] = content.gerant.email
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
