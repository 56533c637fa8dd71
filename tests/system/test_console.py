"""The key console at /console, driven in Debian's headless Chromium against a real `rpai serve`,
at a desktop's width and a phone's: everything it says is French, nothing scrolls sideways."""

import re
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from contract import errors, messages
from contract.inputs import NewPassword
from resolvers.api_keys import ApiKeyCreate
from resolvers.kpi.queries import KpiPeriod
from resolvers.webhooks import WebhookEndpointCreate
from tests.support.browser import (
    DESKTOP,
    PHONE,
    WIDTHS,
    assert_fits,
    at_width,
    plain,
    policy_refusals,
    screenshot,
    settled,
    small_targets,
    stored_anywhere,
    text_of,
    visible,
    wait,
    words_broken,
)
from tests.support.provisioned import create_gerant, create_key
from tests.support.screens import shoot
from tests.support.servers import subprocess_server

KEY = re.compile(r"sk_live_[0-9A-Za-z]{38}")
AT = r"\d\d/\d\d/\d{4} à \d\d:\d\d"
EMAIL, PASSWORD = "alice@example.com", "console password"


def create_stores(data: Path, base: str, names: list[str]) -> dict[str, str]:
    """Create the stores through REST with a CLI-made key; their ids by name."""
    bootstrap = create_key(data, EMAIL, "Amorçage", "stores:write,stores:read")
    ids = {}
    for name in names:
        response = httpx.post(
            f"{base}/api/integrations/stores",
            headers={"X-API-Key": bootstrap},
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


def key_rows(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid='key-row']")


def key_row(driver: WebDriver, key: str) -> WebElement:
    """The row of `key`, found by its displayed prefix once the page has settled."""
    settled(driver)
    prefix = f"{key[:14]}…"
    row: WebElement = wait(driver).until(
        ec.presence_of_element_located(
            (By.XPATH, f"//tr[td[@data-testid='key-prefix' and normalize-space()='{prefix}']]")
        )
    )
    return row


def cell(row: WebElement, test_id: str) -> str:
    return row.find_element(By.CSS_SELECTOR, f"[data-testid='{test_id}']").text


def buttons_enabled(row: WebElement) -> list[bool]:
    return [button.is_enabled() for button in row.find_elements(By.TAG_NAME, "button")]


def shown_key(driver: WebDriver, previous: str = "") -> str:
    """The key in the 'shown once' box, once it is there and differs from `previous`."""
    value = visible(driver, "new-key-value")
    wait(driver).until(lambda _: value.text not in ("", previous))
    assert "elle ne sera plus jamais affichée" in visible(driver, "new-key-box").text
    text: str = value.text
    return text


def rotate_in_dialog(driver: WebDriver, row: WebElement, hours: str, name: str) -> None:
    """Rotate the key of `row`, its old key ending in `hours` as the dialog offers."""
    row.find_element(By.CSS_SELECTOR, "[data-testid='rotate']").click()
    dialog = visible(driver, "rotate-dialog")
    assert "L'ancienne clé cesse de fonctionner" in dialog.text
    choice = dialog.find_element(By.CSS_SELECTOR, f"input[name='grace'][value='{hours}']")
    assert choice.is_selected() is (hours == "168"), "7 days is the default"
    choice.click()
    shoot(driver, name)
    driver.find_element(By.ID, "rotate-yes").click()


def confirm_in_dialog(driver: WebDriver, button: WebElement, title: str) -> None:
    button.click()
    assert text_of(driver, "confirm-title") == title
    driver.find_element(By.CSS_SELECTOR, "[data-testid='confirm-yes']").click()


def log_in(driver: WebDriver, password: str) -> None:
    for field_id, value in (("login-email", EMAIL), ("login-password", password)):
        field = visible(driver, field_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "login-submit").click()


def fill_key_form(driver: WebDriver, name: str, permissions: list[str]) -> None:
    field = visible(driver, "key-name")
    field.clear()
    field.send_keys(name)
    for permission in permissions:
        driver.find_element(
            By.CSS_SELECTOR, f"input[name='permission'][value='{permission}']"
        ).click()


def check_store(driver: WebDriver, store: str) -> None:
    driver.find_element(
        By.XPATH, f"//div[@id='store-choices']//label[normalize-space()='{store}']/input"
    ).click()


def wait_for_key_list(driver: WebDriver) -> None:
    wait(driver).until(
        lambda d: key_rows(d) and d.find_elements(By.CSS_SELECTOR, "#store-choices input")
    )
    settled(driver)


def app_error_codes() -> set[str]:
    found = {errors.AppError.code}
    pending = list(errors.AppError.__subclasses__())
    while pending:
        kind = pending.pop()
        found.add(kind.code)
        pending.extend(kind.__subclasses__())
    return found


def assert_every_error_has_a_french_sentence(driver: WebDriver) -> None:
    """The pages' table of French sentences follows the server: every error code, and only
    messages, message beginnings and input fields that the server really has."""
    table = driver.execute_script("return RPAI.errorTable()")
    assert set(table["codes"]) == app_error_codes()
    constants = {
        value for name, value in vars(messages).items() if name.isupper() and isinstance(value, str)
    }
    assert set(table["messages"]) <= constants, set(table["messages"]) - constants
    for prefix in table["prefixes"]:
        assert any(template.startswith(prefix) for template in constants), prefix
    fields = {"from", "to"} | set(ApiKeyCreate.model_fields) | set(NewPassword.model_fields)
    fields |= set(WebhookEndpointCreate.model_fields)
    assert set(KpiPeriod.model_fields) == {"from_", "to"}
    assert set(table["fields"]) <= fields
    english = driver.execute_script(
        "return [['FORBIDDEN', \"Insufficient permissions. Requires 'stores:read'\"],"
        " ['UNAUTHENTICATED', 'Invalid or expired session token'],"
        " ['BAD_REQUEST', 'name: String should have at most 200 characters'],"
        " ['INTERNAL_SERVER_ERROR', 'Internal server error', {requestId: 'req-1'}]]"
        ".map(([code, message, extensions]) => RPAI.frenchError(code, message, extensions))"
    )
    assert [plain(sentence) for sentence in english] == [
        "Votre compte n'a pas le droit de faire cela.",
        "Votre session a expiré : reconnectez-vous.",
        "Le nom doit contenir de 1 à 200 caractères.",
        "Une erreur inattendue s'est produite sur le serveur. Réessayez ; si elle persiste, "
        "contactez le support. Référence : req-1.",
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_gerant_creates_rotates_and_deactivates_a_key(
    tmp_path: Path, browser: WebDriver, width: int
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, PASSWORD)
    with subprocess_server(data, log) as base:
        create_stores(data, base, ["Paris Rivoli", "Lyon Centre"])
        at_width(browser, width)
        browser.get(f"{base}/console")

        log_in(browser, "wrong password")
        assert text_of(browser, "error") == "Adresse e-mail ou mot de passe incorrect."
        log_in(browser, PASSWORD)
        assert text_of(browser, "session-user") == f"Alice Martin ({EMAIL})"
        wait_for_key_list(browser)
        assert not browser.find_element(By.ID, "error").is_displayed()
        if width == DESKTOP:
            assert_every_error_has_a_french_sentence(browser)

        # Stores are checkboxes; "only these" with none checked is explained, in French.
        fill_key_form(browser, "Caisse Paris", ["stores:read", "kpi:write"])
        browser.find_element(By.ID, "scope-some").click()
        browser.find_element(By.ID, "create-submit").click()
        assert text_of(browser, "stores-error") == (
            "Cochez au moins un magasin, ou choisissez « Tous les magasins »."
        )
        assert not browser.find_element(By.ID, "error").is_displayed(), "the error is at its field"
        shoot(browser, "console-form-error")
        check_store(browser, "Paris Rivoli")
        browser.find_element(By.ID, "create-submit").click()
        first = shown_key(browser)
        assert KEY.fullmatch(first)
        assert text_of(browser, "notice") == (
            "Clé « Caisse Paris » créée. Copiez-la maintenant : elle ne sera plus affichée."
        )
        row = key_row(browser, first)
        assert cell(row, "key-name") == "Caisse Paris"
        assert cell(row, "key-permissions") == "Lire les magasins, envoyer les chiffres"
        assert not browser.find_element(By.ID, "stores-error").is_displayed()
        assert cell(row, "key-stores") == "Paris Rivoli"
        assert cell(row, "key-expires") == "jamais"
        assert cell(row, "key-last-used") == "jamais"
        assert cell(row, "key-state") == "Active"
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

        # Rotation in the page's dialog: the old key is shown as replaced, right under its
        # replacement; it cannot be renewed again, but it can be ended at once.
        rotate_in_dialog(browser, key_row(browser, first), "168", "console-rotation-dialog")
        second = shown_key(browser, previous=first)
        assert KEY.fullmatch(second)
        assert re.fullmatch(
            f"Clé « Caisse Paris » renouvelée : l'ancienne \\({first[:14]}…\\) reste valable "
            f"jusqu'au {AT}. Copiez la nouvelle clé maintenant.",
            text_of(browser, "notice"),
        )
        new_row, old_row = key_row(browser, second), key_row(browser, first)
        rows = key_rows(browser)
        assert rows.index(old_row) == rows.index(new_row) + 1
        assert re.fullmatch(
            f"Remplacée le {AT}, valable jusqu'au {AT}\npar la clé {second[:14]}…",
            cell(old_row, "key-state"),
        )
        assert buttons_enabled(old_row) == [True, False]
        assert buttons_enabled(new_row) == [True, True]
        assert cell(new_row, "key-state") == "Active"
        assert cell(new_row, "key-stores") == "Paris Rivoli"

        confirm_in_dialog(
            browser,
            new_row.find_element(By.CSS_SELECTOR, "[data-testid='deactivate']"),
            "Désactiver la clé « Caisse Paris » ?",
        )
        wait(browser).until(lambda _: cell(key_row(browser, second), "key-state") == "Désactivée")
        assert text_of(browser, "notice") == (
            f"Clé « Caisse Paris » ({second[:14]}…) désactivée : elle est refusée dès maintenant."
        )
        assert buttons_enabled(key_row(browser, second)) == [False, False]
        assert store_names(base, second) == 401
        assert store_names(base, first) == ["Paris Rivoli"], "the old key works during the grace"

        # Deactivated keys can be hidden.
        assert len(key_rows(browser)) == 3
        browser.find_element(By.ID, "hide-inactive").click()
        wait(browser).until(lambda d: len(key_rows(d)) == 2)
        assert text_of(browser, "keys-hidden") == "1 clé désactivée ou expirée masquée."
        shown = [cell(row, "key-prefix") for row in key_rows(browser)]
        assert f"{first[:14]}…" in shown
        assert f"{second[:14]}…" not in shown

        # What a phone shows: each key is a card, and nothing is off-screen.
        headers_shown = browser.find_element(By.CSS_SELECTOR, "#keys-table thead").is_displayed()
        assert headers_shown is (width == DESKTOP)
        logout = browser.find_element(By.ID, "logout").rect
        assert logout["x"] + logout["width"] <= width
        assert_fits(browser)
        assert policy_refusals(browser) == []
        screenshot(browser, f"console-gerant-{width}")
        shoot(browser, "console-keys")

        # The replaced key, still working, is ended from the console; a rotation in an hour
        # keeps the old key an hour; words of the table stay whole at a desktop's width.
        browser.find_element(By.ID, "hide-inactive").click()
        wait(browser).until(lambda d: len(key_rows(d)) == 3)
        confirm_in_dialog(
            browser,
            key_row(browser, first).find_element(By.CSS_SELECTOR, "[data-testid='deactivate']"),
            "Désactiver la clé « Caisse Paris » ?",
        )
        wait(browser).until(
            lambda _: cell(key_row(browser, first), "key-state").startswith("Désactivée\n")
        )
        assert buttons_enabled(key_row(browser, first)) == [False, False]
        assert store_names(base, first) == 401
        fill_key_form(browser, "Caisse Lyon", ["kpi:read"])
        browser.find_element(By.ID, "create-submit").click()
        third = shown_key(browser, previous=second)
        rotate_in_dialog(browser, key_row(browser, third), "1", "console-rotation-hour")
        fourth = shown_key(browser, previous=third)
        assert store_names(base, third) == 403, "authenticated for its hour, without stores:read"
        assert KEY.fullmatch(fourth)
        if width == DESKTOP:
            assert words_broken(browser, "keys-table") == []
            assert browser.execute_script(
                "const table = document.getElementById('keys-table');"
                "return table.getBoundingClientRect().right"
                " <= table.closest('.card').getBoundingClientRect().right"
            ), "the key table stays within its card"
        assert small_targets(browser) == []

        browser.find_element(By.ID, "logout").click()
        visible(browser, "login-form")
        assert text_of(browser, "notice") == "Vous êtes déconnecté."
        assert browser.execute_script("return sessionStorage.length") == 0
        assert not key_rows(browser)

        # A session the server no longer accepts ends with a French sentence.
        browser.execute_script(
            "sessionStorage.setItem('rpai.session', JSON.stringify({token: 'forged', "
            "user: {role: 'GERANT', name: 'X', email: 'x@example.com'}}))"
        )
        browser.refresh()
        assert text_of(browser, "error") == "Votre session a expiré : reconnectez-vous."
        visible(browser, "login-form")
        if width == PHONE:
            assert_fits(browser)
