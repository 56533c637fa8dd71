"""Settings derived from where the server listens."""

import pytest
from pydantic import ValidationError

from rpai.cli import _listening, build_parser
from rpai.settings import Settings, listening_url, public_url


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::", 8000, "http://[::1]:8000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("rpai.internal", 80, "http://rpai.internal:80"),
    ],
)
def test_the_listening_address_as_a_link(host: str, port: int, url: str) -> None:
    assert listening_url(host, port) == url


def test_public_url_set_or_fallback() -> None:
    assert public_url(Settings(public_url="https://rpai.example.com/")) == (
        "https://rpai.example.com"
    )
    assert public_url(Settings(public_url=None)) == "http://127.0.0.1:8000"


def test_serve_links_to_its_own_address_unless_told() -> None:
    args = build_parser().parse_args(["serve", "--host", "127.0.0.1", "--port", "8765"])
    assert _listening(Settings(), args.host, args.port).public_url == "http://127.0.0.1:8765"
    told = Settings(public_url="https://rpai.example.com")
    assert _listening(told, args.host, args.port).public_url == "https://rpai.example.com"


@pytest.mark.parametrize(
    ("anonymous", "authenticated"),
    [
        ("ANONYMOUS_RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_MINUTE"),
        ("ANONYMOUS_GRAPHQL_MAX_COST", "GRAPHQL_MAX_COST"),
        ("ANONYMOUS_GRAPHQL_COST_RESTORE_RATE", "GRAPHQL_COST_RESTORE_RATE"),
    ],
)
def test_anonymous_callers_may_not_do_more_than_authenticated_ones(
    monkeypatch: pytest.MonkeyPatch, anonymous: str, authenticated: str
) -> None:
    monkeypatch.setenv(f"RPAI_{authenticated}", "100")
    monkeypatch.setenv(f"RPAI_{anonymous}", "100")
    Settings()  # as much is allowed
    monkeypatch.setenv(f"RPAI_{anonymous}", "101")
    with pytest.raises(
        ValidationError, match=f"RPAI_{anonymous} must not be over RPAI_{authenticated}"
    ):
        Settings()


def test_a_webhook_retry_schedule_is_checked_at_start_up() -> None:
    assert Settings().webhook_retry_schedule == "5,300,1800,7200,18000,36000,36000"
    assert Settings(webhook_retry_schedule="1, 2").webhook_retry_schedule == "1, 2"
    with pytest.raises(ValidationError, match=r"item 2 \('0'\) is not a positive number"):
        Settings(webhook_retry_schedule="5,0")


def test_a_webhook_lease_outlasts_an_attempt() -> None:
    with pytest.raises(ValidationError, match="RPAI_WEBHOOK_LEASE_SECONDS must be over"):
        Settings(webhook_timeout_seconds=10, webhook_lease_seconds=10)
    assert Settings(webhook_timeout_seconds=1, webhook_lease_seconds=2).webhook_lease_seconds == 2
