"""The gérant's KPI import page at /espace/import, in headless Chromium at 1280 and 390 px
against a real `rpai serve`: a CSV picked, its progress followed to the end, its counts in
French, its refused lines downloaded as a CSV file; a seller is turned away."""

from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

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
from tests.support.downloads import download_to, downloaded
from tests.support.provisioned import create_gerant, create_key
from tests.support.screens import shoot
from tests.support.servers import subprocess_server

EMAIL, PASSWORD = "alice@example.com", "gerant password"
ENV = {"RPAI_IMPORT_POLL_SECONDS": "0.2"}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_gerant_imports_a_csv_and_downloads_its_refused_lines(
    tmp_path: Path, browser: WebDriver, width: int
) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, password=PASSWORD)
    with subprocess_server(data, log, ENV) as base:
        key = create_key(data, EMAIL, "Caisse", "stores:write,users:write")
        headers = {"X-API-Key": key}
        store = httpx.post(
            f"{base}/api/integrations/stores",
            headers=headers,
            json={"name": "Lyon", "location": "Lyon", "external_id": "LYON-001"},
        ).json()["store"]
        seller = {"name": "Ana", "email": "ana@example.com", "external_id": "V-1"}
        made = httpx.post(
            f"{base}/api/integrations/stores/{store['id']}/sellers",
            headers=headers,
            json={**seller, "send_invitation": False},
        )
        assert made.status_code == 200, made.text
        csv = tmp_path / "historique.csv"
        csv.write_text(
            "store_external_id,date,seller_external_id,ca_journalier,nb_ventes,nb_articles\n"
            "LYON-001,2025-03-01,V-1,120.50,3,4\n"
            "LYON-001,2025-03-02,V-9,80,1,1\n"
        )
        download_to(browser, tmp_path / "downloads")
        at_width(browser, width)
        open_from_space(browser, base, EMAIL, PASSWORD, "to-import")
        visible(browser, "import-file").send_keys(str(csv))
        browser.find_element(By.ID, "import-submit").click()
        wait(browser).until(lambda _: text_of(browser, "import-counts").startswith("Terminé"))

        assert text_of(browser, "import-counts") == (
            "Terminé : 2 ligne(s) traitée(s) sur 2 ; 1 créée(s), 0 mise(s) à jour ; 1 refusée(s)."
        )
        progress = browser.find_element(By.ID, "import-progress")
        assert (progress.get_attribute("value"), progress.get_attribute("max")) == ("2", "2")
        assert_fits(browser)
        shoot(browser, "import")
        visible(browser, "download-errors").click()
        saved = downloaded(browser, tmp_path / "downloads", "-erreurs.csv")
        assert saved.read_bytes().decode() == (
            "ligne;détail\r\n"
            '3;"kpi_entries: seller_external_id not a seller of this store: V-9"\r\n'
        )
        listed = browser.find_elements(By.CSS_SELECTOR, "[data-testid='imports'] li")
        assert len(listed) == 1
        assert policy_refusals(browser) == []


def test_a_seller_is_told_imports_are_the_gerants(tmp_path: Path, browser: WebDriver) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    create_gerant(data, "Alice Martin", EMAIL, password=PASSWORD)
    with subprocess_server(data, log, ENV) as base:
        browser.get(f"{base}/espace/import")
        visible(browser, "signed-out")
        assert not browser.find_element(By.ID, "importer").is_displayed()
