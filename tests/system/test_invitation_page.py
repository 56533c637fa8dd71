"""The invitation page at /invitation, driven in headless Chromium against a real `rpai serve`
that emails through a real SMTP server."""

import time
from pathlib import Path

import httpx
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from resolvers import messages
from tests.rpai.test_cli import free_port, rpai_json, serving
from tests.system.test_console import stored_anywhere, visible, wait
from tests.system.test_invitations import PUBLIC_URL, link_token, smtp_server

EMAIL, PASSWORD = "alice@example.com", "manager password"


def invite_manager(data: Path, base: str) -> None:
    """A store and its manager, created through REST with a CLI-made key."""
    key = rpai_json(
        data,
        "create-api-key",
        "--gerant-email",
        EMAIL,
        "--name",
        "RH",
        "--permissions",
        "stores:write,users:write",
    )["key"]
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


def test_an_invited_manager_chooses_his_password(tmp_path: Path, browser: WebDriver) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    rpai_json(data, "create-gerant", "--name", "Alice Martin", "--email", EMAIL)
    smtp_port = free_port()
    env = {
        "RPAI_PUBLIC_URL": PUBLIC_URL,
        "RPAI_SMTP_HOST": "127.0.0.1",
        "RPAI_SMTP_PORT": str(smtp_port),
        "RPAI_SMTP_STARTTLS": "false",
        "RPAI_OUTBOX_POLL_SECONDS": "0.2",
    }
    with smtp_server(smtp_port) as inbox, serving(data, log, env) as base:
        invite_manager(data, base)
        deadline = time.monotonic() + 15
        while not inbox.envelopes:
            assert time.monotonic() < deadline, "no invitation email"
            time.sleep(0.1)
        token = link_token(inbox.messages()[0])

        browser.get(f"{base}/invitation?token={token}")
        choose_password(browser, PASSWORD, "another password")
        assert visible(browser, "error").text == "Les deux mots de passe ne sont pas identiques."
        choose_password(browser, PASSWORD, PASSWORD)
        assert "Jean Dupont" in visible(browser, "success").text
        assert "token" not in browser.current_url
        assert token not in stored_anywhere(browser)

        browser.get(f"{base}/invitation?token={token}")
        choose_password(browser, PASSWORD, PASSWORD)
        wait(browser).until(lambda d: d.find_element(By.ID, "error").text)
        assert visible(browser, "error").text == messages.INVITATION_USED

        login = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) "
                "{ login(email: $e, password: $p) { user { role } } }",
                "variables": {"e": "jean@example.com", "p": PASSWORD},
            },
        )
        assert login.json()["data"]["login"]["user"]["role"] == "manager"
    server_log = log.read_text()
    assert "GET /invitation 200" in server_log
    assert token not in server_log
