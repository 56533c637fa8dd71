"""Screenshots of the pages' states for people to look at, written by `make screenshots`
(RPAI_SCREENSHOTS_DIR names the folder); in other runs nothing is written."""

import os
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver


def shoot(driver: WebDriver, name: str) -> None:
    """Save the page as `<name>-<width>.png` when screenshots are asked for."""
    folder = os.environ.get("RPAI_SCREENSHOTS_DIR")
    if not folder:
        return
    width = driver.execute_script("return window.innerWidth")
    Path(folder).mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(Path(folder) / f"{name}-{width}.png"))
