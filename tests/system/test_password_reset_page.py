"""The password-reset page at /reinitialisation, driven in headless Chromium at 1280 and 390 px
against a real `rpai serve` that emails through a real SMTP server: from "Mot de passe oublié ?"
on the login form to the new password, and the link refused once used."""

import re
import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from rpai.database import free_port
from tests.support.browser import (
    WIDTHS,
    assert_fits,
    at_width,
    policy_refusals,
    stored_anywhere,
    text_of,
    visible,
    wait,
)
from tests.support.provisioned import create_gerant
from tests.support.screens import shoot
from tests.support.servers import subprocess_server
from tests.support.smtp import smtp_server

EMAIL, OLD, NEW = "alice@example.com", "old password here", "new password here"


def login(base: str, password: str) -> int:
    query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
    answer = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": {"e": EMAIL, "p": password}}
    )
    body = answer.json()
    return 200 if body.get("data") else int(body["errors"][0]["extensions"]["status"])


@pytest.mark.parametrize("width", WIDTHS)
def test_a_forgotten_password_is_reset_from_the_login_page(
    tmp_path: Path, browser: WebDriver, width: int
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, password=OLD)
    smtp_port = free_port()
    env = {
        "RPAI_SMTP_HOST": "127.0.0.1",
        "RPAI_SMTP_PORT": str(smtp_port),
        "RPAI_SMTP_STARTTLS": "false",
        "RPAI_OUTBOX_POLL_SECONDS": "0.2",
    }
    with smtp_server(smtp_port) as inbox, subprocess_server(data, log, env) as base:
        at_width(browser, width)
        browser.get(f"{base}/espace/")
        visible(browser, "forgot-password").click()
        visible(browser, "request-form")
        assert_fits(browser)
        shoot(browser, "reset-request")
        visible(browser, "email").send_keys(EMAIL)
        browser.find_element(By.ID, "request-submit").click()
        assert text_of(browser, "requested").startswith(
            f"Si un compte existe pour {EMAIL}, un e-mail vient de lui être envoyé"
        )
        assert_fits(browser)
        shoot(browser, "reset-requested")

        deadline = time.monotonic() + 15
        while not inbox.envelopes:
            assert time.monotonic() < deadline, "no reset email"
            time.sleep(0.1)
        [message] = inbox.messages()
        assert message["Subject"] == "Réinitialisation de votre mot de passe Retail Performer AI"
        plain = message.get_body(("plain",))
        assert plain is not None
        match = re.search(
            re.escape(base) + r"/reinitialisation\?token=([A-Za-z0-9_-]+)", plain.get_content()
        )
        assert match, plain.get_content()
        link, token = match.group(0), match.group(1)

        browser.get(link)
        visible(browser, "reset-form")
        browser.refresh()  # the token left the address bar, and a reload keeps working
        visible(browser, "reset-form")
        assert "token" not in browser.current_url
        assert_fits(browser)
        shoot(browser, "reset-form")
        for field_id in ("password", "confirmation"):
            visible(browser, field_id).send_keys(NEW)
        browser.find_element(By.ID, "reset-submit").click()
        assert text_of(browser, "success").startswith(
            "Votre mot de passe est changé, Alice Martin."
        )
        assert token not in stored_anywhere(browser)
        assert policy_refusals(browser) == []
        shoot(browser, "reset-done")
        assert (login(base, OLD), login(base, NEW)) == (401, 200)

        # Used: told as the page opens, with the way back to the login and a new link.
        browser.get(link)
        wait(browser).until(lambda _: text_of(browser, "error") != "")
        assert text_of(browser, "error") == (
            "Ce lien de réinitialisation est inconnu, remplacé par un lien plus récent ou déjà "
            "utilisé : demandez un nouveau lien."
        )
        assert not browser.find_element(By.ID, "reset-form").is_displayed()
        visible(browser, "ask-again")
        assert_fits(browser)
        shoot(browser, "reset-used")
    assert token not in log.read_text()
