"""The console's Webhooks tab, driven in Debian's headless Chromium against a real `rpai serve`
(private addresses allowed, as in development) at a desktop's width and a phone's: add an
endpoint and see its secret once, disable and enable it, send a test ping and see its pending
delivery, send it again, rotate the secret and delete the endpoint through the page's dialog."""

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

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

SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")
EMAIL, PASSWORD = "alice@example.com", "console password"
PRIVATE = {"RPAI_WEBHOOK_ALLOW_PRIVATE": "true"}


def log_in(driver: WebDriver) -> None:
    for field_id, value in (("login-email", EMAIL), ("login-password", PASSWORD)):
        field = visible(driver, field_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "login-submit").click()


def endpoint_row(driver: WebDriver) -> WebElement:
    row: WebElement = wait(driver).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='endpoint-row']"))
    )
    return row


def cell(row: WebElement, test_id: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"[data-testid='{test_id}']").text


def click(row: WebElement, test_id: str) -> None:
    row.find_element(By.CSS_SELECTOR, f"[data-testid='{test_id}']").click()


def wait_for_state(driver: WebDriver, state: str) -> WebElement:
    wait(driver).until(lambda d: cell(endpoint_row(d), "endpoint-state") == state)
    return endpoint_row(driver)


def shown_secret(driver: WebDriver, previous: str = "") -> str:
    value = visible(driver, "new-secret-value")
    wait(driver).until(lambda _: value.text not in ("", previous))
    assert "il ne sera plus jamais affiché" in visible(driver, "new-secret-box").text
    text: str = value.text
    return text


def confirm(driver: WebDriver, title: str) -> None:
    """Answer yes in the page's own dialog (no native prompt or confirm)."""
    dialog = visible(driver, "confirm-dialog")
    assert dialog.find_element(By.ID, "confirm-title").text == title
    driver.find_element(By.ID, "confirm-yes").click()
    wait(driver).until(ec.invisibility_of_element_located((By.ID, "confirm-dialog")))


def rest(base: str, key: str, path: str) -> Any:
    response = httpx.get(f"{base}/api/integrations{path}", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("width", WIDTHS)
def test_gerant_manages_a_webhook_endpoint(tmp_path: Path, browser: WebDriver, width: int) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, PASSWORD, env=PRIVATE)
    reader = create_key(data, EMAIL, "Lecture", "webhooks:read", env=PRIVATE)
    # Nothing listens there: whatever the workers try, the ping is not delivered.
    hook = f"http://127.0.0.1:{free_port()}/hook"
    with subprocess_server(data, log, PRIVATE) as base:
        at_width(browser, width)
        browser.get(f"{base}/console/#webhooks")
        log_in(browser)
        visible(browser, "endpoints-empty")
        assert not browser.find_element(By.ID, "keys-panel").is_displayed()

        # "Only these" with none checked is explained, in French.
        visible(browser, "endpoint-url").send_keys(hook)
        browser.find_element(By.ID, "events-some").click()
        browser.find_element(By.ID, "endpoint-submit").click()
        assert text_of(browser, "error") == (
            "Cochez au moins un type d'événement, ou choisissez « Tous les événements »."
        )
        for event_type in ("store.created", "kpi.synced"):
            browser.find_element(
                By.CSS_SELECTOR, f"input[name='event-type'][value='{event_type}']"
            ).click()
        browser.find_element(By.ID, "endpoint-description").send_keys("ERP du siège")
        browser.find_element(By.ID, "endpoint-submit").click()

        # The secret, once.
        secret = shown_secret(browser)
        assert SECRET.fullmatch(secret)
        assert text_of(browser, "notice") == (
            "Webhook « ERP du siège » ajouté. Copiez son secret maintenant : il ne sera plus "
            "affiché."
        )
        row = endpoint_row(browser)
        assert cell(row, "endpoint-url") == hook
        assert cell(row, "endpoint-events") == "store.created, kpi.synced"
        assert cell(row, "endpoint-state") == "Actif"
        [stored] = rest(base, reader, "/webhook_endpoints")["webhook_endpoints"]
        assert (stored["url"], stored["events"], stored["status"]) == (
            hook,
            ["store.created", "kpi.synced"],
            "enabled",
        )
        browser.find_element(By.ID, "copy-secret").click()
        wait(browser).until(lambda d: d.find_element(By.ID, "secret-copy-status").text)
        browser.find_element(By.ID, "dismiss-secret").click()
        wait(browser).until(ec.invisibility_of_element_located((By.ID, "new-secret-box")))
        browser.refresh()
        endpoint_row(browser)
        assert not browser.find_element(By.ID, "new-secret-box").is_displayed()
        assert secret not in stored_anywhere(browser)

        # Disabled: nothing can be sent to it; enabled again.
        click(endpoint_row(browser), "disable-endpoint")
        row = wait_for_state(browser, "Désactivé")
        assert text_of(browser, "notice") == (
            "Webhook « ERP du siège » désactivé : plus rien ne lui est envoyé."
        )
        assert not row.find_element(By.CSS_SELECTOR, "[data-testid='test-endpoint']").is_enabled()
        one = rest(base, reader, f"/webhook_endpoints/{stored['id']}")
        assert one["webhook_endpoint"]["status"] == "disabled"
        click(row, "enable-endpoint")
        row = wait_for_state(browser, "Actif")

        # A test ping: one delivery, waiting to be sent, listed at once.
        click(row, "test-endpoint")
        delivery: WebElement = wait(browser).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='delivery-row']"))
        )
        assert cell(delivery, "delivery-event").startswith("ping\nevt_")
        assert cell(delivery, "delivery-state") in ("En attente", "En cours d'envoi")
        assert text_of(browser, "notice") == (
            "Test envoyé au webhook « ERP du siège » : l'événement « ping » est en attente d'envoi."
        )
        [listed] = rest(base, reader, f"/webhook_endpoints/{stored['id']}/deliveries")["deliveries"]
        assert listed["event_type"] == "ping"
        assert listed["status"] in ("pending", "sending")

        assert_fits(browser)
        screenshot(browser, f"console-webhooks-{width}")
        shoot(browser, "console-webhooks")

        # A new secret, asked in the page's dialog; the former one is not shown again.
        click(endpoint_row(browser), "rotate-secret")
        confirm(browser, "Nouveau secret de signature")
        rotated = shown_secret(browser, previous="")
        assert SECRET.fullmatch(rotated)
        assert rotated != secret

        click(endpoint_row(browser), "delete-endpoint")
        confirm(browser, "Supprimer le webhook")
        visible(browser, "endpoints-empty")
        assert text_of(browser, "notice") == "Webhook « ERP du siège » supprimé."
        assert not browser.find_element(By.ID, "deliveries-section").is_displayed()
        assert rest(base, reader, "/webhook_endpoints") == {"webhook_endpoints": []}
        assert policy_refusals(browser) == []
