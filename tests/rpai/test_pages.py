"""The static pages: security headers on everything they load, no inline script or style, no
asset from another origin, and the chart library exactly as vendored."""

import hashlib
import re
from html.parser import HTMLParser

import httpx
import pytest

from rpai.pages import PAGES_DIR

PAGES = ["/espace/", "/console/", "/invitation?token=abc"]
ASSETS = [
    "/common/rpai.js",
    "/common/rpai.css",
    "/common/favicon.svg",
    "/espace/espace.js",
    "/espace/espace.css",
    "/console/console.js",
    "/console/console.css",
    "/invitation/invitation.js",
    "/invitation/invitation.css",
    "/vendor/chart.js/chart.umd.min.js",
]
CHART_JS_SHA256 = "48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a"


class Markup(HTMLParser):
    """What a page's HTML asks the browser to load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.styles = 0
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.handlers += [name for name in named if name.startswith("on")]
        if "style" in named or tag == "style":
            self.styles += 1
        for attribute in ("src", "href", "action"):
            if named.get(attribute):
                self.urls.append(str(named[attribute]))
        if tag == "script" and not named.get("src"):
            self.inline_scripts += 1


def assert_page_headers(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
async def test_pages_send_the_security_headers_and_load_only_their_own_files(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, follow_redirects=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_page_headers(response)
    markup = Markup()
    markup.feed(response.text)
    assert markup.inline_scripts == 0
    assert markup.styles == 0
    assert markup.handlers == []
    assert markup.urls, "the page loads its scripts and styles"
    for url in markup.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        loaded = await client.get(url)
        assert loaded.status_code == 200, url


@pytest.mark.parametrize("path", ASSETS)
async def test_assets_send_the_security_headers_and_name_no_other_origin(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert_page_headers(response)
    if path.endswith((".js", ".css")) and not path.startswith("/vendor/"):
        assert re.search(r"https?://", response.text) is None, path


async def test_the_invitation_page_is_never_stored(client: httpx.AsyncClient) -> None:
    response = await client.get("/invitation?token=abc")
    assert response.headers["cache-control"] == "no-store"


async def test_a_missing_file_still_has_the_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/espace/nothing.js")
    assert response.status_code == 404
    assert_page_headers(response)


async def test_the_home_page_is_the_staff_space(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert (response.status_code, response.headers["location"]) == (307, "/espace/")


def test_the_chart_library_is_the_vendored_release_with_its_licence() -> None:
    vendored = PAGES_DIR / "vendor" / "chart.js"
    digest = hashlib.sha256((vendored / "chart.umd.min.js").read_bytes()).hexdigest()
    assert digest == CHART_JS_SHA256
    assert (vendored / "LICENSE.md").read_text().startswith("The MIT License (MIT)")
    assert "Chart.js v4.5.1" in (vendored / "chart.umd.min.js").read_text()[:100]


GRAPHIQL_FILES = {
    "graphiql.min.js": "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
    "graphiql.min.css": "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
    "react.production.min.js": "4b4969fa4ef3594324da2c6d78ce8766fbbc2fd121fff395aedf997db0a99a06",
    "react-dom.production.min.js": (
        "21758ed084cd0e37e735722ee4f3957ea960628a29dfa6c3ce1a1d47a2d6e4f7"
    ),
    "graphql-ws.min.js": "deb8cd1b4feadd52ae0365a4df8a89847f2904c2a8cbdac8756b8d962c0cb8e4",
}
GRAPHIQL_LICENCES = [
    "LICENSE-graphiql",
    "LICENSE-react",
    "LICENSE-react-dom",
    "LICENSE-graphql-ws.md",
]


def test_graphiql_is_the_vendored_release_with_its_licences() -> None:
    vendored = PAGES_DIR / "vendor" / "graphiql"
    for name, expected in GRAPHIQL_FILES.items():
        assert hashlib.sha256((vendored / name).read_bytes()).hexdigest() == expected, name
    for licence in GRAPHIQL_LICENCES:
        assert "MIT" in (vendored / licence).read_text()[:200], licence


async def test_graphiql_loads_only_this_services_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    markup = Markup()
    markup.feed(page.text)
    assert markup.inline_scripts == 0
    assert markup.urls
    for url in markup.urls:
        assert url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert "content-security-policy" in asset.headers, url


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_reference_runs_only_scripts_from_files_of_this_service(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    assert (policy["default-src"], policy["script-src"]) == ("'none'", "'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    markup = Markup()
    markup.feed(response.text)
    assert (markup.inline_scripts, markup.styles, markup.handlers) == (0, 0, [])
    assert markup.urls
    for url in markup.urls:
        assert url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["x-content-type-options"] == "nosniff", url
        # ReDoc's bundle asked Redocly's CDN for its logo.
        assert "cdn.redoc.ly" not in asset.text, url
