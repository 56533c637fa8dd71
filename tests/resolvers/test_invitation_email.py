"""The invitation email's wording that does not depend on the database."""

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from models import Role, Store, User
from resolvers.invitation_email import InvitationContent, french_expiry, invitation_message


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (
            datetime(2025, 3, 14, 13, 30, tzinfo=UTC),
            "vendredi 14 mars 2025 à 14:30 (heure de Paris)",
        ),
        (
            datetime(2025, 7, 1, 12, 5, tzinfo=UTC),
            "mardi 1er juillet 2025 à 14:05 (heure de Paris)",
        ),
        (
            datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
            "jeudi 1er janvier 2026 à 00:00 (heure de Paris)",
        ),
    ],
)
def test_the_links_end_in_french_in_paris_time(moment: datetime, text: str) -> None:
    assert french_expiry(moment) == text


def content(store_name: str) -> InvitationContent:
    gerant = User(
        gerant_id="g", role=Role.GERANT, name="Alice Martin", email="a@x.fr", email_key="a@x.fr"
    )
    user = User(gerant_id="g", role=Role.SELLER, name="Bob", email="b@x.fr", email_key="b@x.fr")
    store = Store(gerant_id="g", name=store_name, name_key=store_name, location="Paris")
    return InvitationContent(
        user=user,
        gerant=gerant,
        store=store,
        link="https://rpai.example.com/invitation?token=t",
        expires_at=datetime(2025, 3, 14, 13, 30, tzinfo=UTC),
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.mark.parametrize(
    ("store_name", "subject", "in_text"),
    [
        (
            "Lyon Part-Dieu",
            "Alice Martin vous invite au magasin Lyon Part-Dieu sur Retail Performer AI",
            "Retail Performer AI, pour le magasin Lyon Part-Dieu, en tant que vendeur(se)",
        ),
        (
            "Magasin Lyon",
            "Alice Martin vous invite au Magasin Lyon sur Retail Performer AI",
            "Retail Performer AI, pour le Magasin Lyon, en tant que vendeur(se)",
        ),
        (
            "magasin du centre",
            "Alice Martin vous invite au magasin du centre sur Retail Performer AI",
            "les chiffres de vente du magasin du centre :",
        ),
    ],
)
@pytest.mark.usefixtures("mock_db")
async def test_a_store_named_magasin_is_not_called_magasin_magasin(
    store_name: str, subject: str, in_text: str
) -> None:
    message = invitation_message(content=content(store_name), sender="rpai@example.com")

    text, html = parts(message)
    assert message["Subject"] == subject
    assert in_text in text
    assert "agasin Magasin" not in text + html + subject
    assert "agasin magasin" not in text + html + subject


@pytest.mark.usefixtures("mock_db")
async def test_the_html_has_a_viewport_and_a_readable_width_on_a_phone() -> None:
    _, html = parts(invitation_message(content=content("Lyon"), sender="rpai@example.com"))

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "max-width: 36rem" in html
    assert 'style="word-break: break-all;">https://rpai.example.com/invitation?token=t</a>' in html
