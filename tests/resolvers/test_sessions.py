"""Password login: unknown and known emails cost the same work, and answer the same."""

from datetime import timedelta
from typing import Any

import pytest

from infra import passwords
from infra.login_throttle import LoginThrottle
from infra.tokens import TokenSigner
from resolvers import messages
from resolvers.errors import Unauthenticated
from resolvers.sessions import login
from tests.support.factories import make_gerant

pytestmark = pytest.mark.usefixtures("mock_db")

PASSWORD = "correct horse battery"
SIGNER = TokenSigner(secret="x" * 48, ttl=timedelta(hours=1))


async def test_every_attempt_checks_one_password_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    gerant = await make_gerant(password=PASSWORD)
    checked: list[str] = []

    class CountingHasher:
        def verify(self, hash_: str, password: str) -> Any:
            checked.append(hash_)
            return hasher.verify(hash_, password)

    hasher = passwords._hasher
    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    throttle = LoginThrottle()
    for email, password in (("nobody@example.com", PASSWORD), (gerant.email, "wrong password")):
        with pytest.raises(Unauthenticated, match=messages.INVALID_CREDENTIALS):
            await login(email=email, password=password, signer=SIGNER, throttle=throttle)
    await login(email=gerant.email, password=PASSWORD, signer=SIGNER, throttle=throttle)
    assert len(checked) == 3
    assert checked[0] == passwords._DUMMY_HASH
