"""The invitation email's wording that does not depend on the database."""

from datetime import UTC, datetime

import pytest

from resolvers.invitation_email import french_expiry


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
