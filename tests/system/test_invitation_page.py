"""The invitation page at /invitation, driven in headless Chromium at 1280 and 390 px against a
real `rpai serve` that emails through a real SMTP server, with RPAI_PUBLIC_URL unset: the link
must lead to the server where it runs, whatever its port."""

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
    screenshot,
    stored_anywhere,
    text_of,
    visible,
    wait,
)
from tests.support.provisioned import create_gerant, create_key
from tests.support.screens import shoot
from tests.support.servers import subprocess_server
from tests.support.smtp import smtp_server

EMAIL, PASSWORD = "alice@example.com", "manager password"


def invite_manager(data: Path, base: str) -> None:
    """A store and its manager, created through REST with a CLI-made key."""
    key = create_key(data, EMAIL, "RH", "stores:write,users:write")
    headers = {"X-API-Key": key}
    store = httpx.post(
        f"{base}/api/integrations/stores",
        headers=headers,
        json={"name": "Paris Rivoli", "location": "Paris"},
    )
    assert store.status_code == 200, store.text
    manager = httpx.post(
        f"{base}/api/integrations/stores/{store.json()['store']['id']}/managers",
        headers=headers,
        json={"name": "Jean Dupont", "email": "jean@example.com"},
    )
    assert manager.status_code == 200, manager.text


def choose_password(driver: WebDriver, password: str, confirmation: str) -> None:
    for field_id, value in (("password", password), ("confirmation", confirmation)):
        field = visible(driver, field_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "accept-submit").click()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_invited_manager_chooses_his_password_and_enters_his_space(
    tmp_path: Path, browser: WebDriver, width: int
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL)
    smtp_port = free_port()
    env = {
        "RPAI_SMTP_HOST": "127.0.0.1",
        "RPAI_SMTP_PORT": str(smtp_port),
        "RPAI_SMTP_STARTTLS": "false",
        "RPAI_OUTBOX_POLL_SECONDS": "0.2",
    }
    with smtp_server(smtp_port) as inbox, subprocess_server(data, log, env) as base:
        invite_manager(data, base)
        deadline = time.monotonic() + 15
        while not inbox.envelopes:
            assert time.monotonic() < deadline, "no invitation email"
            time.sleep(0.1)
        plain = inbox.messages()[0].get_body(("plain",))
        assert plain is not None
        # No RPAI_PUBLIC_URL: the link points at the port this server listens on.
        match = re.search(
            re.escape(base) + r"/invitation\?token=([A-Za-z0-9_-]+)", plain.get_content()
        )
        assert match, plain.get_content()
        link, token = match.group(0), match.group(1)

        at_width(browser, width)
        browser.get(link)
        visible(browser, "accept-form")
        shoot(browser, "invitation-form")
        browser.refresh()  # the token left the address bar, and a reload keeps working
        visible(browser, "accept-form")
        assert "token" not in browser.current_url
        choose_password(browser, PASSWORD, "another password")
        assert text_of(browser, "error") == "Les deux mots de passe ne sont pas identiques."
        assert_fits(browser)
        screenshot(browser, f"invitation-{width}")
        shoot(browser, "invitation-mismatch")
        choose_password(browser, PASSWORD, PASSWORD)
        success = visible(browser, "success")
        assert "Votre compte est activé, Jean Dupont." in success.text
        assert "token" not in browser.current_url
        assert token not in stored_anywhere(browser)
        assert_fits(browser)
        assert policy_refusals(browser) == []
        screenshot(browser, f"invitation-done-{width}")
        shoot(browser, "invitation-done")

        # The link to the space leads straight in, as the manager of his store.
        browser.find_element(By.ID, "to-space").click()
        wait(browser).until(lambda _: text_of(browser, "scope-title") == "Magasin Paris Rivoli")
        assert text_of(browser, "session-user") == "Jean Dupont (Manager — Paris Rivoli)"
        visible(browser, "empty")
        assert text_of(browser, "empty").startswith("Aucune vente enregistrée sur cette période.")
        assert_fits(browser)

        # A used link is told as the page opens, before anyone types, with the way to log in.
        browser.get(link)
        visible(browser, "to-login")
        assert text_of(browser, "error") == (
            "Ce lien d'invitation a déjà été utilisé : connectez-vous avec votre mot de passe."
        )
        assert not browser.find_element(By.ID, "accept-form").is_displayed()
        assert_fits(browser)
        shoot(browser, "invitation-used")
        browser.get(f"{base}/invitation?token=no-such-token")
        visible(browser, "to-login")
        assert text_of(browser, "error") == (
            "Lien d'invitation inconnu, ou remplacé par une invitation plus récente : ouvrez le "
            "dernier e-mail reçu."
        )
        assert not browser.find_element(By.ID, "accept-form").is_displayed()
        shoot(browser, "invitation-unknown")
    server_log = log.read_text()
    assert "GET /invitation 200" in server_log
    assert token not in server_log
