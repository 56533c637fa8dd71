"""The staff space at /espace, in Chromium at 1280 and 390 px against a real `rpai serve`: one
login for everyone, each role sees its own figures as charts and tables, in French."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.support.browser import (
    PHONE,
    WIDTHS,
    assert_fits,
    at_width,
    chart_points,
    log_in,
    plain,
    policy_refusals,
    screen,
    screenshot,
    small_targets,
    text_of,
    visible,
    wait,
)
from tests.support.downloads import download_to, downloaded
from tests.support.screens import shoot
from tests.support.servers import subprocess_server
from tests.support.staff_chain import (
    GERANT,
    MANAGER,
    SELLER_PASSWORD,
    SELLERS,
    Chain,
    Entry,
    build_chain,
)

CHARTS = ["chart-ca", "chart-panier", "chart-indice", "chart-transformation"]


def open_filters(driver: WebDriver, width: int) -> None:
    """On a phone the filters start folded: unfold them."""
    box = driver.find_element(By.ID, "filters-box")
    if width == PHONE and box.get_attribute("open") is None:
        box.find_element(By.TAG_NAME, "summary").click()


def sort_by(driver: WebDriver, table_id: str, title: str) -> None:
    """Sort by the column `title`: its header on a computer, the "Trier par" list on a phone
    (whose cards have no headers)."""
    choice = driver.find_element(By.ID, f"{table_id}-sort")
    if choice.is_displayed():
        select = Select(choice)
        option = next(o for o in select.options if o.text.startswith(title))
        select.select_by_visible_text(option.text)
    else:
        button = f"button[starts-with(normalize-space(), '{title}')]"
        driver.find_element(By.XPATH, f"//table[@id='{table_id}']//thead//{button}").click()
    wait(driver).until(
        lambda d: d.find_elements(
            By.XPATH,
            f"//table[@id='{table_id}']//th[@aria-sort]//button[starts-with(., '{title}')]",
        )
    )


def axis_ticks(driver: WebDriver, canvas_id: str, axis: str) -> list[str]:
    """The labels a chart's axis shows."""
    ticks: list[str] = driver.execute_script(
        "const chart = Chart.getChart(document.getElementById(arguments[0]));"
        "return chart.scales[arguments[1]].ticks.map((tick) => String(tick.label));",
        canvas_id,
        axis,
    )
    return [plain(tick) for tick in ticks]


def assert_comparison_drawn(driver: WebDriver, chain: Chain, entries: list[Entry]) -> None:
    """The comparison period is the chart's second line, each day under its weekday."""
    drawn = driver.execute_script(
        "return Chart.getChart(document.getElementById('chart-ca')).data.datasets[1].data"
    )
    start, end = chain.previous()
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    expected = [float(revenue([e for e in entries if e.day == day])) for day in days]
    assert [value or 0.0 for value in drawn] == expected


def assert_phone_layout(driver: WebDriver, width: int) -> None:
    """Two tiles a row on a phone; every button, select and summary at least 24 px."""
    lefts = {
        round(tile.rect["x"]) for tile in driver.find_elements(By.CSS_SELECTOR, "#tiles > .tile")
    }
    assert len(lefts) == (2 if width == PHONE else 5), lefts
    assert small_targets(driver) == []


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """One server and its data for every test of this module (building it takes a while)."""
    folder = tmp_path_factory.mktemp("espace")
    with subprocess_server(folder / "data", folder / "server.log") as base:
        yield build_chain(folder / "data", base)


def euros(amount: Decimal) -> str:
    """As the page writes it in French: `7 522,50 €`."""
    return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")


def change(current: Decimal, previous: Decimal) -> str:
    """The relative change as the page shows it: rounded to 4 decimals by the API, then to
    0.1 % by the page: `+13,6 %`."""
    ratio = ((current - previous) / previous).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    percent = (ratio * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert (ratio * 1000) % 1 != Decimal("0.5"), "a rounding tie: change the test data"
    sign = "+" if percent > 0 else ""
    return f"{sign}{percent} %".replace(".", ",")


def revenue(entries: list[Entry]) -> Decimal:
    return sum((entry.ca for entry in entries), Decimal(0))


def daily_revenue(chain: Chain, entries: list[Entry]) -> list[float]:
    start, end = chain.current()
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [float(revenue([e for e in entries if e.day == day])) for day in days]


def open_space(driver: WebDriver, chain: Chain, width: int, email: str, password: str) -> None:
    at_width(driver, width)
    driver.get(f"{chain.base}/espace/")
    log_in(driver, email, "wrong password")
    assert text_of(driver, "error") == "Adresse e-mail ou mot de passe incorrect."
    log_in(driver, email, password)
    wait(driver).until(lambda d: all(chart_points(d, canvas) for canvas in CHARTS))
    assert not driver.find_element(By.ID, "error").is_displayed()


def tile(driver: WebDriver, name: str) -> tuple[str, str]:
    found = driver.find_element(By.CSS_SELECTOR, f"[data-testid='tile-{name}']")
    value = found.find_element(By.CSS_SELECTOR, "[data-testid='tile-value']").text
    evolution = found.find_element(By.CSS_SELECTOR, "[data-testid='tile-change']").text
    return plain(value), plain(evolution)


def row_names(driver: WebDriver, table_id: str) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr th")
    return [row.text for row in rows]


def assert_charts_drawn(driver: WebDriver, chain: Chain, entries: list[Entry]) -> None:
    """Every chart drew one painted point per day; the revenue chart has each day's total."""
    for canvas in CHARTS:
        points = chart_points(driver, canvas)
        assert len(points) == 30, canvas
        assert all(point["painted"] for point in points), (canvas, points)
    values = [point["value"] for point in chart_points(driver, "chart-ca")]
    assert values == daily_revenue(chain, entries)
    first = chain.current()[0]
    assert chart_points(driver, "chart-ca")[0]["label"] == f"{first.day} {MONTHS[first.month]}"


MONTHS = {
    1: "janv.",
    2: "févr.",
    3: "mars",
    4: "avr.",
    5: "mai",
    6: "juin",
    7: "juil.",
    8: "août",
    9: "sept.",
    10: "oct.",
    11: "nov.",
    12: "déc.",
}


def assert_seen_on_any_screen(driver: WebDriver, name: str) -> None:
    assert_fits(driver)
    assert policy_refusals(driver) == []
    assert screenshot(driver, name).stat().st_size > 0


@pytest.mark.parametrize("width", WIDTHS)
def test_the_gerant_sees_his_chain_by_store_seller_and_day(
    chain: Chain, browser: WebDriver, width: int, tmp_path: Path
) -> None:
    name, email, password = GERANT
    open_space(browser, chain, width, email, password)
    assert text_of(browser, "session-user") == f"{name} (Gérant)"
    assert text_of(browser, "scope-title") == "Toute l'enseigne"
    start, end = chain.current()
    previous_start, previous_end = chain.previous()
    assert text_of(browser, "period-caption") == (
        f"Du {start:%d/%m/%Y} au {end:%d/%m/%Y} ; évolutions comparées à la période précédente, "
        "jour de la semaine pour jour de la semaine "
        f"(du {previous_start:%d/%m/%Y} au {previous_end:%d/%m/%Y})."
    )
    now, before = chain.select(chain.current()), chain.select(chain.previous())
    assert tile(browser, "ca") == (
        euros(revenue(now)),
        f"{change(revenue(now), revenue(before))} vs période précédente",
    )
    assert tile(browser, "nbVentes")[0] == str(sum(e.ventes for e in now))
    assert_charts_drawn(browser, chain, now)
    assert_comparison_drawn(browser, chain, chain.select(chain.previous()))
    assert row_names(browser, "stores-table") == ["Paris Rivoli", "Lyon Centre"]
    assert row_names(browser, "sellers-table") == ["Marie Martin", "Sophie Bernard", "Paul Durand"]
    if width == PHONE:
        assert not browser.find_element(By.ID, "periods-table").is_displayed(), "folded"
        browser.find_element(By.CSS_SELECTOR, "#periods-box > summary").click()
    assert len(row_names(browser, "periods-table")) == 30
    assert text_of(browser, "to-console") == "Clés API"
    assert_seen_on_any_screen(browser, f"espace-gerant-{width}")
    assert_phone_layout(browser, width)
    shoot(browser, "espace-gerant")

    # The tables sort by any column; a store's row opens the store and its sellers.
    sort_by(browser, "sellers-table", "Ventes")
    sellers = chain.select(chain.current())
    by_sales = sorted(
        {e.seller for e in sellers}, key=lambda n: -sum(e.ventes for e in sellers if e.seller == n)
    )
    assert row_names(browser, "sellers-table") == by_sales
    sort_by(browser, "sellers-table", "Vendeur")
    assert row_names(browser, "sellers-table") == sorted(by_sales)
    browser.find_element(
        By.XPATH, "//table[@id='stores-table']//button[normalize-space()='Lyon Centre']"
    ).click()
    wait(browser).until(lambda _: text_of(browser, "scope-title") == "Magasin Lyon Centre")
    assert row_names(browser, "sellers-table") == ["Sophie Bernard"]
    open_filters(browser, width)
    Select(browser.find_element(By.ID, "store")).select_by_visible_text("Tous les magasins")
    wait(browser).until(lambda _: text_of(browser, "scope-title") == "Toute l'enseigne")

    # Another comparison: the same weekdays a year earlier (the chain has no figures then).
    open_filters(browser, width)
    Select(browser.find_element(By.ID, "compare")).select_by_visible_text(
        "Les mêmes jours de la semaine, un an plus tôt"
    )
    wait(browser).until(lambda _: "un an plus tôt" in text_of(browser, "period-caption"))
    assert tile(browser, "ca")[1] == "sans comparaison vs un an plus tôt"
    Select(browser.find_element(By.ID, "compare")).select_by_visible_text("La période précédente")
    wait(browser).until(lambda _: "précédente" in text_of(browser, "period-caption"))

    # 12 months: every month drawn, this one marked partial; money axes without cents.
    open_filters(browser, width)
    Select(browser.find_element(By.ID, "preset")).select_by_visible_text("12 derniers mois")
    wait(browser).until(lambda _: text_of(browser, "periods-title") == "Par mois")
    wait(browser).until(lambda _: len(chart_points(browser, "chart-ca")) == 12)
    labels = [point["label"] for point in chart_points(browser, "chart-ca")]
    assert labels[-1].endswith("*"), labels
    assert text_of(browser, "partial-note").startswith("En clair sur les graphiques")
    assert all("," not in tick for tick in axis_ticks(browser, "chart-ca", "y")), "no cents"
    if width == PHONE:
        assert len(axis_ticks(browser, "chart-ca", "x")) <= 5
    shoot(browser, "espace-gerant-12-mois")
    open_filters(browser, width)
    Select(browser.find_element(By.ID, "preset")).select_by_visible_text("30 derniers jours")
    Select(browser.find_element(By.ID, "group")).select_by_visible_text("Jour")
    wait(browser).until(lambda _: len(chart_points(browser, "chart-ca")) == 30)

    # Exports: what the tables show, as files the browser saves.
    download_to(browser, tmp_path)
    browser.find_element(By.CSS_SELECTOR, "#export-menu > summary").click()
    shoot(browser, "espace-exports")
    browser.find_element(By.ID, "export-sellers-xlsx").click()
    saved = downloaded(browser, tmp_path, ".xlsx")
    sheet = openpyxl.load_workbook(saved).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Vendeur", "Chiffre d'affaires (€)")
    assert {row[0] for row in rows[1:]} == set(by_sales)
    assert sum(Decimal(str(row[1])) for row in rows[1:]) == revenue(now)
    screen(browser, f"espace-gerant-{width}-screen")  # docs/dashboard.png is the 1280 one

    open_filters(browser, width)
    Select(browser.find_element(By.ID, "store")).select_by_visible_text("Lyon Centre")
    wait(browser).until(lambda _: text_of(browser, "scope-title") == "Magasin Lyon Centre")
    lyon = chain.select(chain.current(), store="Lyon Centre")
    wait(browser).until(lambda _: tile(browser, "ca")[0] == euros(revenue(lyon)))
    assert not browser.find_element(By.ID, "stores-card").is_displayed()
    assert row_names(browser, "sellers-table") == ["Sophie Bernard"]

    Select(browser.find_element(By.ID, "group")).select_by_visible_text("Semaine")
    wait(browser).until(lambda _: text_of(browser, "periods-title") == "Par semaine")
    assert text_of(browser, "chart-ca-title") == "Chiffre d'affaires par semaine"
    assert all(point["painted"] for point in chart_points(browser, "chart-ca"))
    assert_fits(browser)

    browser.find_element(By.ID, "to-console").click()
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid='key-row']"))
    assert text_of(browser, "session-user") == f"{name} ({email})"
    assert not browser.find_element(By.ID, "login-section").is_displayed()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_sees_his_store_and_not_the_key_console(
    chain: Chain, browser: WebDriver, width: int
) -> None:
    name, email, password = MANAGER
    open_space(browser, chain, width, email, password)
    assert text_of(browser, "session-user") == f"{name} (Manager — Paris Rivoli)"
    assert text_of(browser, "scope-title") == "Magasin Paris Rivoli"
    paris, paris_before = (
        chain.select(chain.current(), store="Paris Rivoli"),
        chain.select(chain.previous(), store="Paris Rivoli"),
    )
    assert tile(browser, "ca") == (
        euros(revenue(paris)),
        f"{change(revenue(paris), revenue(paris_before))} vs période précédente",
    )
    assert_charts_drawn(browser, chain, paris)
    assert row_names(browser, "sellers-table") == ["Marie Martin", "Paul Durand"]
    assert not browser.find_element(By.ID, "stores-card").is_displayed()
    assert not browser.find_element(By.ID, "to-console").is_displayed()
    assert not browser.find_element(By.ID, "store-filter").is_displayed()
    assert_seen_on_any_screen(browser, f"espace-manager-{width}")

    browser.get(f"{chain.base}/console/")
    staff = visible(browser, "staff-section")
    assert "Console réservée au gérant" in staff.text
    assert not browser.find_element(By.ID, "console-section").is_displayed()
    assert not browser.find_element(By.ID, "login-section").is_displayed()
    assert not browser.find_element(By.ID, "error").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid='key-row']") == []
    assert_seen_on_any_screen(browser, f"console-manager-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_seller_sees_only_himself(chain: Chain, browser: WebDriver, width: int) -> None:
    email, store = SELLERS["Marie Martin"]
    open_space(browser, chain, width, email, SELLER_PASSWORD)
    assert text_of(browser, "session-user") == f"Marie Martin (Vendeur — {store})"
    assert text_of(browser, "scope-title") == f"Vos chiffres — {store}"
    own = chain.select(chain.current(), seller="Marie Martin")
    own_before = chain.select(chain.previous(), seller="Marie Martin")
    assert tile(browser, "ca") == (
        euros(revenue(own)),
        f"{change(revenue(own), revenue(own_before))} vs période précédente",
    )
    assert tile(browser, "panierMoyen")[0] == euros(
        (revenue(own) / sum(e.ventes for e in own)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    )
    assert_charts_drawn(browser, chain, own)
    assert not browser.find_element(By.ID, "sellers-card").is_displayed()
    assert not browser.find_element(By.ID, "stores-card").is_displayed()
    assert not browser.find_element(By.ID, "to-console").is_displayed()
    assert_seen_on_any_screen(browser, f"espace-seller-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_empty_period_is_said_plainly_not_as_a_success(
    chain: Chain, browser: WebDriver, width: int
) -> None:
    name, email, password = GERANT
    del name
    open_space(browser, chain, width, email, password)
    open_filters(browser, width)
    browser.execute_script(
        "for (const [id, day] of [['from', '2020-01-06'], ['to', '2020-01-12']]) {"
        "  const field = document.getElementById(id); field.value = day;"
        "  field.dispatchEvent(new Event('change')); }"
    )
    browser.find_element(By.ID, "show").click()
    wait(browser).until(lambda _: text_of(browser, "empty").startswith("Aucune vente"))
    empty = browser.find_element(By.ID, "empty")
    assert "info" in (empty.get_attribute("class") or "").split()
    assert "notice" not in (empty.get_attribute("class") or "").split()
    assert tile(browser, "ca") == ("0,00 €", "aucune vente vs période précédente")
    assert browser.find_elements(By.CSS_SELECTOR, "#periods-table td.down") == []
    assert_fits(browser)
    shoot(browser, "espace-vide")
