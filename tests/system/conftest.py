"""The headless Chromium (Debian's) that the browser tests drive."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,1000",
    "--lang=fr-FR",  # navigator.language as in a French shop
)
# No network but the loopback: every host name fails to resolve, and anything not on the
# loopback (which Chromium never proxies) goes to a proxy that does not exist. A page that
# needs a CDN stays blank.
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    yield from chromium(tmp_path, monkeypatch, CHROMIUM_FLAGS)


@pytest.fixture
def offline_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """The same Chromium, with the network cut off except for the loopback."""
    yield from chromium(tmp_path, monkeypatch, (*CHROMIUM_FLAGS, *OFFLINE_FLAGS))


def chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...]
) -> Iterator[WebDriver]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the browser test needs Debian's chromium and "
            "chromium-driver packages (run .ci/install-browser as root)",
            pytrace=False,
        )
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*flags, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    # The console's messages, to catch what the Content-Security-Policy refused.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
