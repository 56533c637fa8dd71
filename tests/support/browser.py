"""Driving the pages in Chromium as a person sees them: at a given width, with screenshots."""

import base64
import json
import math
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WAIT_SECONDS = 15
DESKTOP, PHONE = 1280, 390
WIDTHS = [DESKTOP, PHONE]
HEIGHTS = {DESKTOP: 1080, PHONE: 844}


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    """An explicit wait that retries while a list is being re-rendered."""
    return WebDriverWait(
        driver,
        WAIT_SECONDS,
        poll_frequency=0.1,
        ignored_exceptions=[StaleElementReferenceException],
    )


def settled(driver: WebDriver) -> None:
    """Wait until no action of the page runs (its body is no longer `aria-busy`)."""
    wait(driver).until(
        lambda d: d.execute_script("return document.body.getAttribute('aria-busy')") is None
    )


def visible(driver: WebDriver, element_id: str) -> WebElement:
    element: WebElement = wait(driver).until(ec.visibility_of_element_located((By.ID, element_id)))
    return element


def text_of(driver: WebDriver, element_id: str) -> str:
    """The text of a visible element, once it has some, spaces as a person reads them."""
    element = visible(driver, element_id)
    wait(driver).until(lambda _: element.text.strip())
    return plain(element.text)


def plain(text: str) -> str:
    """Non-breaking spaces (French number formats) as ordinary ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def at_width(driver: WebDriver, width: int) -> None:
    """A screen `width` CSS pixels wide; below 600 a phone (its viewport meta tag applies)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": HEIGHTS.get(width, 900),
            "deviceScaleFactor": 1,
            "mobile": width < 600,
        },
    )


def horizontal_overflow(driver: WebDriver) -> dict[str, Any]:
    """How much wider than the screen the page is, and which elements stick out."""
    found: dict[str, Any] = driver.execute_script(
        """
        const width = document.documentElement.clientWidth;
        const outside = [];
        for (const element of document.body.querySelectorAll('*')) {
          const box = element.getBoundingClientRect();
          if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
            outside.push(`${element.tagName}#${element.id}.${element.className} ${box.right}`);
          }
        }
        return {
          viewport: width,
          scrollWidth: document.documentElement.scrollWidth,
          outside: outside.slice(0, 10),
        };
        """
    )
    return found


def assert_fits(driver: WebDriver) -> None:
    """Nothing scrolls sideways: the page is no wider than the screen, nothing sticks out."""
    found = horizontal_overflow(driver)
    assert found["scrollWidth"] <= found["viewport"], found
    assert found["outside"] == [], found


def screenshot(driver: WebDriver, name: str) -> Path:
    """The whole page, as far as it goes down, in artifacts/NAME.png."""
    size = driver.execute_script(
        "return [document.documentElement.clientWidth, "
        "Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        },
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def screen(driver: WebDriver, name: str) -> Path:
    """What fits on the screen, as a person first sees it, in artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    return path


def stored_anywhere(driver: WebDriver) -> str:
    """Everything the page holds: its HTML and both web storages."""
    storages = driver.execute_script(
        "return JSON.stringify([sessionStorage, localStorage].map((s) => Object.entries(s)))"
    )
    return driver.page_source + json.dumps(storages)


def policy_refusals(driver: WebDriver) -> list[str]:
    """What the browser refused under the pages' Content-Security-Policy, and script errors."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")  # type: ignore[no-untyped-call]
        if "Content Security Policy" in entry["message"] or entry["level"] == "SEVERE"
    ]


def chart_points(driver: WebDriver, canvas_id: str) -> list[dict[str, Any]]:
    """Each data point the chart on `canvas_id` drew: its value, where, and whether the pixel
    there is painted (not the blank canvas)."""
    points: list[dict[str, Any]] = driver.execute_script(
        """
        const canvas = document.getElementById(arguments[0]);
        const chart = window.Chart.getChart(canvas);
        if (!chart) { return []; }
        const ratio = chart.currentDevicePixelRatio;
        const context = canvas.getContext('2d');
        const bar = chart.config.type === 'bar';
        return chart.getDatasetMeta(0).data.map((element, index) => {
          const value = chart.data.datasets[0].data[index];
          // A bar is painted just below its top, a line's point at its centre.
          const x = Math.round(element.x * ratio);
          const y = Math.round((bar ? element.y + 3 : element.y) * ratio);
          const pixel = context.getImageData(x, y, 1, 1).data;
          return {
            label: chart.data.labels[index],
            value,
            painted: value !== null && !element.skip && pixel[3] > 0,
          };
        });
        """,
        canvas_id,
    )
    return points


def close_to(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, abs_tol=1e-6)


def words_broken(driver: WebDriver, element_id: str) -> list[str]:
    """The words inside `element_id` that the browser split across two lines."""
    broken: list[str] = driver.execute_script(
        """
        const found = [];
        const walker = document.createTreeWalker(document.getElementById(arguments[0]),
                                                 NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          for (const match of node.data.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
            if (tops.size > 1) { found.push(match[0]); }
          }
        }
        return found;
        """,
        element_id,
    )
    return broken


def small_targets(driver: WebDriver) -> list[Any]:
    """The visible buttons, fields, lists and summaries lower than 24 px (WCAG 2.5.8)."""
    small: list[Any] = driver.execute_script(
        "return [...document.querySelectorAll('button, select, summary, input')]"
        ".filter((e) => e.offsetParent !== null)"
        ".map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect().height])"
        ".filter(([, height]) => height < 24)"
    )
    return small


def log_in(driver: WebDriver, email: str, password: str) -> None:
    """Fill the login form of the page shown and send it."""
    for field_id, value in (("login-email", email), ("login-password", password)):
        field = visible(driver, field_id)
        field.clear()
        field.send_keys(value)
    driver.find_element(By.ID, "login-submit").click()


def open_from_space(driver: WebDriver, base: str, email: str, password: str, link: str) -> None:
    """Log in on the staff space and follow its link `link` (an element id) to a page."""
    driver.get(f"{base}/espace/")
    log_in(driver, email, password)
    visible(driver, link).click()
