"""The client address behind `rpai serve`'s uvicorn configuration: X-Forwarded-For is believed
only from the proxies of FORWARDED_ALLOW_IPS, by default none, so a client cannot name the
address its failed logins are counted on."""

import httpx
import pytest

from rpai.settings import Settings
from tests.support.factories import make_gerant
from tests.support.servers import in_process_listener

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"


async def failed_logins(settings: Settings) -> list[str]:
    """The codes of five wrong logins from the loopback, each naming another address."""
    limited = settings.model_copy(update={"login_failures_per_address": 3})
    async with (
        in_process_listener(limited) as (base_url, _),
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        gerant = await make_gerant(password="correct horse battery")
        codes = []
        for n in range(5):
            answer = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"e": gerant.email, "p": f"guess {n}"}},
                headers={"X-Forwarded-For": f"192.0.2.{n + 1}"},
            )
            codes.append(answer.json()["errors"][0]["extensions"]["code"])
        return codes


@pytest.mark.usefixtures("cheap_hashes")
async def test_by_default_a_client_rotating_x_forwarded_for_is_counted_on_its_address(
    settings: Settings,
) -> None:
    assert Settings.model_fields["forwarded_allow_ips"].default == ""
    assert await failed_logins(settings) == ["UNAUTHENTICATED"] * 3 + ["TOO_MANY_REQUESTS"] * 2


@pytest.mark.usefixtures("cheap_hashes")
async def test_behind_a_configured_proxy_the_forwarded_address_counts(settings: Settings) -> None:
    proxied = settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    assert await failed_logins(proxied) == ["UNAUTHENTICATED"] * 5


def test_forwarded_allow_ips_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    assert Settings().forwarded_allow_ips == "10.0.0.0/8"
