"""Files a page makes the browser save, in a folder the test chooses."""

from pathlib import Path

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import WAIT_SECONDS


def download_to(driver: WebDriver, folder: Path) -> None:
    """Let the browser save downloads into `folder`, without asking."""
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )


def downloaded(driver: WebDriver, folder: Path, suffix: str) -> Path:
    """The first complete file ending in `suffix` saved into `folder` (Chromium names a file
    being written `….crdownload`)."""

    def done(_: WebDriver) -> Path | bool:
        found = sorted(folder.glob(f"*{suffix}"))
        return found[0] if found else False

    path = WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(done)
    assert isinstance(path, Path)
    return path
