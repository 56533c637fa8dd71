"""The staff space at /espace/equipe, driven in headless Chromium at 1280 and 390 px against a
real `rpai serve`: the gérant's empty state, an invitation, resend, suspend, reactivate, move
and delete; then a manager's read-only view of his store."""

from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.browser import (
    WIDTHS,
    assert_fits,
    at_width,
    open_from_space,
    policy_refusals,
    text_of,
    visible,
    wait,
)
from tests.support.cli import rpai_json
from tests.support.provisioned import create_gerant, create_key
from tests.support.screens import shoot
from tests.support.servers import subprocess_server

EMAIL, PASSWORD = "alice@example.com", "gerant password"


def rest(base: str, key: str, path: str, body: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(f"{base}/api/integrations{path}", headers={"X-API-Key": key}, json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def person(driver: WebDriver, email: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f"[data-user='{email}']").text)


def click_in(driver: WebDriver, email: str, label: str) -> None:
    row = driver.find_element(By.CSS_SELECTOR, f"[data-user='{email}']")
    [found] = [b for b in row.find_elements(By.TAG_NAME, "button") if b.text == label]
    found.click()


def notice_is(driver: WebDriver, text: str) -> None:
    wait(driver).until(lambda _: text_of(driver, "notice") == text)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_gerant_runs_his_staff_and_a_manager_sees_his_store(
    tmp_path: Path, browser: WebDriver, width: int
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, password=PASSWORD)
    with subprocess_server(data, log, {}) as base:
        key = create_key(data, EMAIL, "RH", "stores:write,users:write")
        at_width(browser, width)
        open_from_space(browser, base, EMAIL, PASSWORD, "to-staff")
        visible(browser, "no-stores")
        assert not browser.find_element(By.ID, "invite-card").is_displayed()
        assert_fits(browser)
        shoot(browser, "staff-no-stores")

        rivoli = rest(base, key, "/stores", {"name": "Paris Rivoli", "location": "Paris"})
        rest(base, key, "/stores", {"name": "Lyon", "location": "Lyon"})
        store_id = rivoli["store"]["id"]  # type: ignore[index]
        rest(
            base,
            key,
            f"/stores/{store_id}/managers",
            {"name": "Jean Dupont", "email": "jean@example.com", "send_invitation": False},
        )
        rpai_json(
            data,
            "set-password",
            "--email",
            "jean@example.com",
            "--password-stdin",
            stdin="manager password\n",
        )
        browser.refresh()
        visible(browser, "invite-card")
        assert "Personne dans ce magasin" in text_of(browser, "stores")
        shoot(browser, "staff-empty-store")

        visible(browser, "invite-name").send_keys("Zoé Petit")
        visible(browser, "invite-email").send_keys("zoe@example.com")
        Select(browser.find_element(By.ID, "invite-store")).select_by_visible_text("Paris Rivoli")
        browser.find_element(By.ID, "invite-submit").click()
        notice_is(browser, "Invitation envoyée à zoe@example.com.")
        assert "Vendeur" in person(browser, "zoe@example.com")
        assert "Invitation en attente d'envoi" in person(browser, "zoe@example.com")
        assert_fits(browser)
        shoot(browser, "staff-invited")

        click_in(browser, "zoe@example.com", "Renvoyer l'invitation")
        notice_is(browser, "Invitation renvoyée à zoe@example.com.")
        click_in(browser, "zoe@example.com", "Suspendre")
        notice_is(browser, "Zoé Petit est suspendu(e).")
        assert "Suspendu" in person(browser, "zoe@example.com")
        shoot(browser, "staff-suspended")
        click_in(browser, "zoe@example.com", "Réactiver")
        notice_is(browser, "Zoé Petit est réactivé(e).")

        click_in(browser, "zoe@example.com", "Déplacer")
        row = browser.find_element(By.CSS_SELECTOR, "[data-user='zoe@example.com']")
        Select(
            row.find_element(By.CSS_SELECTOR, "[aria-label='Nouveau magasin']")
        ).select_by_visible_text("Lyon")
        assert_fits(browser)
        shoot(browser, "staff-move")
        row.find_element(By.CSS_SELECTOR, ".move-form button[type='submit']").click()
        notice_is(browser, "Zoé Petit a été déplacé(e).")
        lyon = browser.find_element(By.CSS_SELECTOR, "[data-store='Lyon']")
        assert "zoe@example.com" in lyon.text

        click_in(browser, "zoe@example.com", "Supprimer")
        shoot(browser, "staff-delete-confirm")
        row = browser.find_element(By.CSS_SELECTOR, "[data-user='zoe@example.com']")
        row.find_element(By.CSS_SELECTOR, ".confirm button.danger").click()
        notice_is(browser, "Zoé Petit a été supprimé(e).")
        assert browser.find_elements(By.CSS_SELECTOR, "[data-user='zoe@example.com']") == []
        assert policy_refusals(browser) == []

        # The manager sees his store's people, without the gérant's actions.
        browser.find_element(By.ID, "logout").click()
        open_from_space(browser, base, "jean@example.com", "manager password", "to-staff")
        wait(browser).until(lambda _: "jean@example.com" in text_of(browser, "stores"))
        assert [
            card.get_attribute("data-store")
            for card in browser.find_elements(By.CSS_SELECTOR, "[data-store]")
        ] == ["Paris Rivoli"]
        assert browser.find_elements(By.CSS_SELECTOR, ".person-actions") == []
        assert not browser.find_element(By.ID, "invite-card").is_displayed()
        assert_fits(browser)
        shoot(browser, "staff-manager")
