"""The invitation email, in French: subject, plain-text body, and the link it carries."""

from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from models import Role, User

SUBJECT = "Votre invitation à Retail Performer AI"
ROLE_LABELS = {Role.GERANT: "gérant(e)", Role.MANAGER: "manager", Role.SELLER: "vendeur(se)"}
BODY = """Bonjour {name},

Vous êtes invité(e) à rejoindre Retail Performer AI en tant que {role}.

Pour activer votre compte, choisissez votre mot de passe en ouvrant ce lien :

{link}

Ce lien est personnel et ne fonctionne qu'une fois, pendant 7 jours.
Si vous n'attendiez pas cette invitation, ignorez simplement ce message.

L'équipe Retail Performer AI
"""


def invitation_link(public_url: str, token: str) -> str:
    """`{RPAI_PUBLIC_URL}/invitation?token=…`; tokens are URL-safe as they are."""
    return f"{public_url.rstrip('/')}/invitation?token={token}"


def invitation_message(*, user: User, link: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    message["Subject"] = SUBJECT
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message.set_content(BODY.format(name=user.name, role=ROLE_LABELS[user.role], link=link))
    return message
