"""GraphiQL works with no internet: opened at /graphql in Chromium with the network cut off,
against a real `rpai serve`, its credential field fills the Headers pane, a query runs and its
answer shows."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import (
    PHONE,
    WIDTHS,
    assert_fits,
    at_width,
    policy_refusals,
    screenshot,
    visible,
    wait,
)
from tests.support.provisioned import provisioned_server
from tests.support.screens import shoot

# The visible editor of the tools pane: the Headers one, which the page opens.
RESULT = ".result-window"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
NESTED = """{
  stores {
    name
    sellers { edges { node { name } } }
  }
}"""


def editor(driver: WebDriver, selector: str) -> Any:
    """The text of the CodeMirror editor inside `selector`."""
    return driver.execute_script(
        "const element = document.querySelector(arguments[0] + ' .CodeMirror');"
        "return element ? element.CodeMirror.getValue() : null;",
        selector,
    )


def set_query(driver: WebDriver, query: str) -> None:
    """Type `query` in the query editor, and let GraphiQL parse it (it runs what it parsed)."""
    driver.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.setValue(arguments[0]);",
        query,
    )
    time.sleep(1)


def wait_briefly(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 1, poll_frequency=0.1)


def test_graphiql_runs_a_query_offline_with_the_key_from_its_field(
    tmp_path: Path, offline_browser: WebDriver
) -> None:
    with provisioned_server(tmp_path, name="Alice", key_name="GraphiQL") as served:
        base, key = served.base, served.key
        headers = {"X-API-Key": key}
        store = httpx.post(
            f"{base}/api/integrations/stores",
            headers=headers,
            json={"name": "Magasin Lyon Centre", "location": "69001 Lyon"},
        ).json()["store"]
        seller = httpx.post(
            f"{base}/api/integrations/stores/{store['id']}/sellers",
            headers=headers,
            json={"name": "Marie Martin", "email": "marie@example.com"},
        ).json()["seller_id"]

        browser = offline_browser
        browser.get(f"{base}/graphql")
        wait(browser).until(lambda d: editor(d, ".graphiql-query-editor") is not None)
        field = visible(browser, "credential")
        field.send_keys(key)
        wait(browser).until(lambda d: editor(d, HEADERS_EDITOR) == json.dumps(headers, indent=2))
        assert visible(browser, "credential-kind").text == "sent as X-API-Key"
        set_query(browser, NESTED)
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait(browser).until(lambda d: "Marie Martin" in (editor(d, ".result-window") or ""))
        answer = json.loads(editor(browser, ".result-window"))
        assert answer["data"] == {
            "stores": [
                {
                    "name": "Magasin Lyon Centre",
                    "sellers": {"edges": [{"node": {"name": "Marie Martin"}}]},
                }
            ]
        }
        screenshot(browser, "graphiql-offline")

        # A subscription runs there too, over the websocket, with the key from the field.
        set_query(browser, "subscription Live { kpiUpdates { storeId caJournalier } }")
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait(browser).until(lambda d: "Marie Martin" not in (editor(d, ".result-window") or "x"))
        body = {
            "store_id": store["id"],
            "date": "2024-01-15",
            "kpi_entries": [
                {"seller_id": seller, "ca_journalier": 12.5, "nb_ventes": 1, "nb_articles": 1}
            ],
        }
        for _ in range(10):  # until the subscription is in place, then once is enough
            synced = httpx.post(f"{base}/api/integrations/kpi/sync", headers=headers, json=body)
            assert synced.status_code == 200, synced.text
            try:
                wait_briefly(browser).until(
                    lambda d: "12.50" in (editor(d, ".result-window") or "")
                )
                break
            except TimeoutException:
                continue
        assert json.loads(editor(browser, ".result-window")) == {
            "data": {"kpiUpdates": {"storeId": store["id"], "caJournalier": "12.50"}}
        }
        assert policy_refusals(browser) == []


def test_on_a_phone_graphiql_gives_way_to_a_french_note_and_the_docs(
    tmp_path: Path, browser: WebDriver
) -> None:
    with provisioned_server(tmp_path, name="Alice", key_name="GraphiQL") as served:
        for width in WIDTHS:
            at_width(browser, width)
            browser.get(f"{served.base}/graphql")
            note = browser.find_element(By.ID, "phone-note")
            if width == PHONE:
                assert visible(browser, "phone-note").text == (
                    "GraphiQL demande un écran plus large (ordinateur ou tablette). Sur un "
                    "téléphone, lisez plutôt la documentation de l'API."
                )
                link = note.find_element(By.TAG_NAME, "a")
                assert link.get_attribute("href") == f"{served.base}/docs"
                assert not browser.find_element(By.ID, "credentials").is_displayed()
                assert_fits(browser)
            else:
                wait(browser).until(lambda d: editor(d, ".graphiql-query-editor") is not None)
                assert not note.is_displayed()
            shoot(browser, "graphiql")
