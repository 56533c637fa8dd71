"""The key console at /console, driven in Debian's headless Chromium against a real `rpai serve`."""

import json
import re
from pathlib import Path

import httpx
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.rpai.test_cli import rpai_json, serving

SCREENSHOT = Path(__file__).resolve().parents[2] / "artifacts" / "console.png"
WAIT_SECONDS = 15
KEY = re.compile(r"sk_live_[0-9A-Za-z]{38}")
EMAIL, PASSWORD = "alice@example.com", "console password"


def create_stores(data: Path, base: str, names: list[str]) -> dict[str, str]:
    """Create the stores through REST with a CLI-made key; their ids by name."""
    bootstrap = rpai_json(
        data,
        "create-api-key",
        "--gerant-email",
        EMAIL,
        "--name",
        "Amorçage",
        "--permissions",
        "stores:write,stores:read",
    )
    ids = {}
    for name in names:
        response = httpx.post(
            f"{base}/api/integrations/stores",
            headers={"X-API-Key": bootstrap["key"]},
            json={"name": name, "location": "France"},
        )
        assert response.status_code == 200, response.text
        ids[name] = response.json()["store"]["id"]
    return ids


def store_names(base: str, key: str) -> list[str] | int:
    """The stores `key` sees on the REST API, or the status code when it is refused."""
    response = httpx.get(f"{base}/api/integrations/stores", headers={"X-API-Key": key})
    if response.status_code != 200:
        return response.status_code
    return [store["name"] for store in response.json()["stores"]]


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    """An explicit wait that retries while the key table is being re-rendered."""
    return WebDriverWait(
        driver,
        WAIT_SECONDS,
        poll_frequency=0.1,
        ignored_exceptions=[StaleElementReferenceException],
    )


def visible(driver: WebDriver, element_id: str) -> WebElement:
    element: WebElement = wait(driver).until(ec.visibility_of_element_located((By.ID, element_id)))
    return element


def key_row(driver: WebDriver, key: str) -> WebElement:
    """The table row of `key`, found by its displayed prefix."""
    prefix = f"{key[:14]}…"
    row: WebElement = wait(driver).until(
        ec.presence_of_element_located(
            (By.XPATH, f"//tr[td[@data-testid='key-prefix' and text()='{prefix}']]")
        )
    )
    return row


def cell(row: WebElement, test_id: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"[data-testid='{test_id}']").text


def shown_key(driver: WebDriver, previous: str = "") -> str:
    """The key in the 'shown once' box, once it is there and differs from `previous`."""
    value = visible(driver, "new-key-value")
    wait(driver).until(lambda _: value.text not in ("", previous))
    assert "elle ne sera plus jamais affichée" in visible(driver, "new-key-box").text
    text: str = value.text
    return text


def accept_dialog(driver: WebDriver) -> None:
    wait(driver).until(ec.alert_is_present())
    driver.switch_to.alert.accept()


def stored_anywhere(driver: WebDriver) -> str:
    """Everything the page holds: its HTML and both web storages."""
    storages = driver.execute_script(
        "return JSON.stringify([sessionStorage, localStorage].map((s) => Object.entries(s)))"
    )
    return driver.page_source + json.dumps(storages)


def log_in(driver: WebDriver, password: str) -> None:
    for field_id, value in (("login-email", EMAIL), ("login-password", password)):
        field = visible(driver, field_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "login-submit").click()


def create_key(driver: WebDriver, name: str, permissions: list[str], store: str) -> None:
    visible(driver, "key-name").send_keys(name)
    for permission in permissions:
        driver.find_element(
            By.CSS_SELECTOR, f"input[name='permission'][value='{permission}']"
        ).click()
    Select(driver.find_element(By.ID, "key-stores")).select_by_visible_text(store)
    driver.find_element(By.ID, "create-submit").click()


def wait_for_key_list(driver: WebDriver) -> None:
    wait(driver).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "[data-testid='key-row']")
            and d.find_elements(By.CSS_SELECTOR, "#key-stores option")
        )
    )


def test_gerant_creates_rotates_and_deactivates_a_key(tmp_path: Path, browser: WebDriver) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    rpai_json(
        data,
        "create-gerant",
        "--name",
        "Alice Martin",
        "--email",
        EMAIL,
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    with serving(data, log) as base:
        create_stores(data, base, ["Paris Rivoli", "Lyon Centre"])
        browser.get(f"{base}/console")

        log_in(browser, "wrong password")
        assert visible(browser, "error").text == "Invalid email or password"
        log_in(browser, PASSWORD)
        assert visible(browser, "session-user").text == f"Alice Martin ({EMAIL})"
        wait_for_key_list(browser)
        assert not browser.find_element(By.ID, "error").is_displayed()

        create_key(browser, "Caisse Paris", ["stores:read", "kpi:write"], "Paris Rivoli")
        first = shown_key(browser)
        assert KEY.fullmatch(first)
        row = key_row(browser, first)
        assert cell(row, "key-name") == "Caisse Paris"
        assert cell(row, "key-permissions") == "stores:read, kpi:write"
        assert cell(row, "key-stores") == "Paris Rivoli"
        assert cell(row, "key-expires") == "jamais"
        assert cell(row, "key-last-used") == "jamais"
        assert cell(row, "key-state") == "Active"
        SCREENSHOT.parent.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(SCREENSHOT))
        assert store_names(base, first) == ["Paris Rivoli"]

        browser.find_element(By.ID, "copy-key").click()
        wait(browser).until(lambda d: d.find_element(By.ID, "copy-status").text)
        browser.find_element(By.ID, "dismiss-key").click()
        wait(browser).until(ec.invisibility_of_element_located((By.ID, "new-key-box")))
        assert first not in stored_anywhere(browser)
        browser.refresh()
        wait_for_key_list(browser)
        assert not browser.find_element(By.ID, "new-key-box").is_displayed()
        assert first not in stored_anywhere(browser)

        key_row(browser, first).find_element(By.CSS_SELECTOR, "[data-testid='rotate']").click()
        accept_dialog(browser)
        second = shown_key(browser, previous=first)
        assert KEY.fullmatch(second)
        new_row = key_row(browser, second)
        assert cell(new_row, "key-stores") == "Paris Rivoli"

        new_row.find_element(By.CSS_SELECTOR, "[data-testid='deactivate']").click()
        accept_dialog(browser)
        wait(browser).until(lambda _: cell(key_row(browser, second), "key-state") == "Inactive")
        assert store_names(base, second) == 401
        assert store_names(base, first) == ["Paris Rivoli"], "the old key works during the grace"

        browser.find_element(By.ID, "logout").click()
        visible(browser, "login-form")
        assert browser.execute_script("return sessionStorage.length") == 0
        assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='key-row']")
