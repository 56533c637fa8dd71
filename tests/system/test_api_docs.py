"""Swagger UI at /docs and ReDoc at /redoc render from the installed package's files, in
Debian's headless Chromium with the network cut off (no CDN)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.servers import subprocess_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WAIT_SECONDS = 20
TITLE = "Retail Performer AI — Integrations API"
CDN_PROBE = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    with subprocess_server(tmp_path / "data", tmp_path / "server.log") as url:
        yield url


def loads_only_from(driver: WebDriver, base: str) -> None:
    """Every resource the page loaded came from `base`, and it tried nothing else: no request
    elsewhere, nothing refused by the page's content policy (ReDoc's logo was, from its CDN)."""
    found: list[str] = driver.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    # Selenium's get_log is untyped; its entries are dicts with a "message".
    log: list[dict[str, str]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    refused = [entry["message"] for entry in log if "Content Security Policy" in entry["message"]]
    assert refused == []
    assert [url for url in found if not url.startswith(base)] == [], found
    assert any(url.startswith(base) and url.endswith(".js") for url in found), found


def cannot_reach_the_internet(driver: WebDriver, base: str) -> bool:
    """Whether a fetch to a CDN fails in this browser, from a page without a content policy."""
    driver.get(f"{base}/healthz")
    outcome: str = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch({CDN_PROBE!r}, {{mode: 'no-cors'}})"
        ".then(() => done('reached'), () => done('failed'));"
    )
    return outcome == "failed"


def test_the_pages_load_nothing_from_elsewhere(base: str) -> None:
    for page in ("/docs", "/redoc"):
        response = httpx.get(f"{base}{page}")
        assert response.status_code == 200
        assert "http://" not in response.text
        assert "https://" not in response.text
        # Whatever the bundles would fetch from elsewhere is refused; no inline script runs.
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        assert httpx.get(f"{base}/docs-assets/{asset}").status_code == 200


def test_swagger_ui_renders_offline(base: str, offline_browser: WebDriver) -> None:
    driver = offline_browser
    assert cannot_reach_the_internet(driver, base)
    driver.get(f"{base}/docs")
    wait = WebDriverWait(driver, WAIT_SECONDS)
    title = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    assert TITLE in title.text
    for operation in ("stores-listStores", "users-listUsers", "kpi-syncKpis", "stores-updateStore"):
        wait.until(ec.presence_of_element_located((By.ID, f"operations-{operation}")))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "swagger-ui.png"))
    loads_only_from(driver, base)


def test_redoc_renders_offline(base: str, offline_browser: WebDriver) -> None:
    driver = offline_browser
    assert cannot_reach_the_internet(driver, base)
    driver.get(f"{base}/redoc")
    wait = WebDriverWait(driver, WAIT_SECONDS)
    title = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".api-info h1")))
    assert TITLE in title.text
    for operation in ("stores/operation/listStores", "users/operation/listUsers"):
        wait.until(ec.presence_of_element_located((By.ID, f"tag/{operation}")))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "redoc.png"))
    loads_only_from(driver, base)
