"""Password resets over GraphQL against the real database: one answer for any email, the
emailed link sets the password once and ends earlier sessions, requests bounded per email;
links checked without being used."""

import re
from email.message import EmailMessage

import httpx
import pytest

from contract import messages
from resolvers.mail_composers import COMPOSERS
from resolvers.mail_outbox import MailSender
from rpai.settings import Settings
from tests.support.factories import make_gerant
from tests.support.servers import in_process_client

OLD, NEW = "correct horse battery", "another horse battery"
PUBLIC_URL = "https://rpai.example.com"
REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = """mutation($t: String!, $p: String!) {
  resetPassword(token: $t, password: $p) { token user { email } }
}"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


async def post(
    http: httpx.AsyncClient, query: str, token: str | None = None, **variables: str
) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200
    body: dict = answer.json()  # type: ignore[type-arg]
    return body


async def emailed_token() -> str:
    sent: list[EmailMessage] = []

    async def keep(message: EmailMessage) -> None:
        sent.append(message)

    sender = MailSender(
        send=keep, composers=COMPOSERS, public_url=PUBLIC_URL, from_address="r@x.fr"
    )
    await sender.run_once()
    [message] = sent
    plain = message.get_body(("plain",))
    assert plain is not None
    found = re.search(r"/reinitialisation\?token=([A-Za-z0-9_-]+)", plain.get_content())
    assert found is not None
    return found.group(1)


def error_of(body: dict) -> tuple[str, str, int]:  # type: ignore[type-arg]
    [error] = body["errors"]
    return error["message"], error["extensions"]["code"], error["extensions"]["status"]


@pytest.mark.usefixtures("cheap_hashes")
async def test_known_and_unknown_emails_get_the_same_answer(client: httpx.AsyncClient) -> None:
    gerant = await make_gerant(password=OLD)

    known = await post(client, REQUEST, e=gerant.email)
    unknown = await post(client, REQUEST, e="nobody@example.com")

    assert known.keys() == unknown.keys() == {"data", "extensions"}
    assert known["data"] == unknown["data"] == {"requestPasswordReset": True}


@pytest.mark.usefixtures("cheap_hashes")
async def test_the_link_sets_the_password_once_and_ends_earlier_sessions(
    client: httpx.AsyncClient,
) -> None:
    gerant = await make_gerant(password=OLD)
    before = (await post(client, LOGIN, e=gerant.email, p=OLD))["data"]["login"]["token"]
    await post(client, REQUEST, e=gerant.email)
    token = await emailed_token()

    checked = await post(client, "query($t: String!) { passwordResetLink(token: $t) }", t=token)
    reset = await post(client, RESET, t=token, p=NEW)
    again = await post(client, RESET, t=token, p=NEW)

    assert checked["data"] == {"passwordResetLink": True}
    after = reset["data"]["resetPassword"]["token"]
    assert reset["data"]["resetPassword"]["user"] == {"email": gerant.email}
    assert error_of(again) == (messages.PASSWORD_RESET_UNKNOWN, "BAD_REQUEST", 400)
    viewer = "{ viewer { email } }"
    assert error_of(await post(client, viewer, before))[1] == "UNAUTHENTICATED"
    assert (await post(client, viewer, after))["data"] == {"viewer": {"email": gerant.email}}
    assert error_of(await post(client, LOGIN, e=gerant.email, p=OLD))[1] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("cheap_hashes")
async def test_requests_past_the_email_bound_are_429(settings: Settings) -> None:
    limited = settings.model_copy(update={"password_resets_per_email": 2})
    async with in_process_client(limited) as http:
        gerant = await make_gerant(password=OLD)
        for _ in range(2):
            assert (await post(http, REQUEST, e=gerant.email))["data"] is not None
        refused = await post(http, REQUEST, e=gerant.email)

        assert error_of(refused) == (messages.PASSWORD_RESETS_LIMITED, "TOO_MANY_REQUESTS", 429)
        assert refused["data"] is None


async def test_an_unknown_invitation_link_is_told_without_a_password(
    client: httpx.AsyncClient,
) -> None:
    body = await post(client, "query($t: String!) { invitationLink(token: $t) }", t="nope")

    assert error_of(body) == (messages.INVITATION_UNKNOWN, "BAD_REQUEST", 400)
