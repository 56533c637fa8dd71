"""The static pages: security headers on everything they load, no inline script or style, no
asset from another origin, the vendored libraries exactly as locked, and the GraphQL documents
the pages send valid against the schema."""

import hashlib
import json
import re
from html.parser import HTMLParser

import graphql
import httpx
import pytest

from contract.event_types import EVENT_TYPES
from contract.permissions import ALL_PERMISSIONS
from rpai.pages import PAGES_DIR
from schema import schema
from tests.support.french_text import breakable_spots, html_texts, js_strings

PAGES = ["/espace/", "/console/", "/invitation?token=abc"]
ASSETS = [
    "/common/rpai.js",
    "/common/rpai.css",
    "/common/favicon.svg",
    "/common/documents.js",
    "/espace/espace.js",
    "/espace/espace.css",
    "/console/console.js",
    "/console/console.css",
    "/console/webhooks.js",
    "/invitation/invitation.js",
    "/invitation/invitation.css",
    "/vendor/chart.js/chart.umd.min.js",
]
VENDOR_DIR = PAGES_DIR / "vendor"
VENDOR_LOCK = PAGES_DIR / "vendor.lock.json"


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


@pytest.mark.parametrize("folder", ["espace", "console", "invitation", "graphiql"])
async def test_a_pages_body_is_served_only_within_its_head(
    client: httpx.AsyncClient, folder: str
) -> None:
    response = await client.get(f"/{folder}/body.html")
    assert response.status_code == 404
    assert_page_headers(response)


async def test_the_home_page_is_the_staff_space(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert (response.status_code, response.headers["location"]) == (307, "/espace/")


def vendored_files() -> dict[str, str]:
    """The sha256 of every vendored file, by path under vendor/, as `make vendor` locked them."""
    lock = json.loads(VENDOR_LOCK.read_text())
    return {
        target: file["sha256"]
        for package in lock["packages"].values()
        for target, file in package["files"].items()
    }


def test_the_vendored_libraries_are_the_locked_releases() -> None:
    locked = vendored_files()
    for target, expected in locked.items():
        assert hashlib.sha256((VENDOR_DIR / target).read_bytes()).hexdigest() == expected, target
    on_disk = {
        str(path.relative_to(VENDOR_DIR))
        for path in VENDOR_DIR.rglob("*")
        if path.is_file() and path.name != "SOURCE.md"
    }
    assert on_disk == set(locked)


def test_the_vendored_libraries_come_with_their_licences() -> None:
    lock = json.loads(VENDOR_LOCK.read_text())
    for name, package in lock["packages"].items():
        [licence] = [t for t, file in package["files"].items() if "LICENSE" in file["from"]]
        assert "MIT" in (VENDOR_DIR / licence).read_text()[:200], name
    chart = (VENDOR_DIR / "chart.js" / "chart.umd.min.js").read_text()[:100]
    assert f"Chart.js v{lock['packages']['chart.js']['version']}" in chart


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


DOCUMENTS_JS = PAGES_DIR / "common" / "documents.js"
# One entry of documents.js: a name, then one template literal, at the map's indentation.
DOCUMENT_ENTRY = re.compile(r"^  (\w+): `([^`]*)`,$", re.MULTILINE)


def page_documents(source: str) -> dict[str, str]:
    """The GraphQL documents of documents.js by name; every backtick of the file is in one."""
    found = dict(DOCUMENT_ENTRY.findall(source))
    assert source.count("`") == 2 * len(found), "a document documents.js holds is not read"
    for name, text in found.items():
        assert "${" not in text, name
    return found


def schema_errors(document: str) -> list[str]:
    """What graphql-core finds wrong with `document` against the served schema."""
    return [error.message for error in graphql.validate(schema._schema, graphql.parse(document))]


def test_every_document_the_pages_send_is_valid_against_the_schema() -> None:
    documents = page_documents(DOCUMENTS_JS.read_text())
    assert {"login", "viewer", "apiKeys", "kpiSummary", "acceptInvitation"} <= set(documents)
    for name, document in documents.items():
        assert schema_errors(document) == [], name


def test_every_document_is_used_by_a_page() -> None:
    scripts = "".join(
        path.read_text()
        for path in PAGES_DIR.glob("*/*.js")
        if path != DOCUMENTS_JS and path.parent.name != "vendor"
    )
    for name in page_documents(DOCUMENTS_JS.read_text()):
        assert re.search(rf"'{name}'|\.{name}\b", scripts), name


def test_a_misspelt_field_in_a_document_is_found() -> None:
    source = DOCUMENTS_JS.read_text().replace("lastUsedAt", "lastUsedOn", 1)
    document = page_documents(source)["apiKeys"]
    assert schema_errors(document) == [
        "Cannot query field 'lastUsedOn' on type 'ApiKey'. Did you mean 'lastUsedAt'?"
    ]


def test_a_document_written_otherwise_is_not_skipped() -> None:
    source = DOCUMENTS_JS.read_text().replace("  viewer: `", "  viewer:\n    `", 1)
    with pytest.raises(AssertionError, match=r"a document documents\.js holds is not read"):
        page_documents(source)


def test_the_console_offers_every_permission_with_its_french_label() -> None:
    body = (PAGES_DIR / "console" / "body.html").read_text()
    offered = re.findall(
        r'name="permission" value="([a-z:]+)">\s*<span>[A-Z][^<]+ <code class="muted">\1</code>',
        body,
    )
    assert offered == list(ALL_PERMISSIONS)


def test_the_key_table_names_every_permission_in_words() -> None:
    script = (PAGES_DIR / "console" / "console.js").read_text()
    table = script[script.index("const PERMISSION_WORDS = {") :]
    words = dict(re.findall(r"'([a-z]+:[a-z]+)': '([^']+)'", table[: table.index("};")]))
    assert list(words) == list(ALL_PERMISSIONS)
    assert all(re.fullmatch(r"[a-zéè ]+", word) for word in words.values()), words


def page_scripts() -> dict[str, str]:
    """Every script and page body of this service's own (the vendored libraries left out)."""
    return {
        str(path.relative_to(PAGES_DIR)): path.read_text()
        for path in sorted(PAGES_DIR.rglob("*"))
        if path.suffix in (".js", ".html") and VENDOR_DIR not in path.parents
    }


def test_no_page_asks_through_the_browsers_own_boxes() -> None:
    """Questions go in the pages' dialogs: prompt(), confirm() and alert() cannot be styled,
    translated or driven by the tests, and a browser may block them."""
    native = re.compile(r"\b(?:window\.)?(prompt|confirm|alert)\s*\(")
    found = {name: native.findall(text) for name, text in page_scripts().items()}
    assert {name: calls for name, calls in found.items() if calls} == {}


def test_the_console_offers_every_event_type_with_its_french_label() -> None:
    body = (PAGES_DIR / "console" / "body.html").read_text()
    offered = re.findall(r'name="event-type"\s+value="([a-z_.]+)">\s*<span>\1 — [^<]+</span>', body)
    assert offered == list(EVENT_TYPES)


def french_texts() -> dict[str, list[str]]:
    """What people read in each page file: HTML text and attributes, JS string literals (the
    GraphQL documents and the English GraphiQL and API reference pages left out)."""
    found = {}
    for name, source in page_scripts().items():
        if name == "common/documents.js" or name.startswith(("graphiql/", "reference/")):
            continue
        if name.endswith(".js"):
            found[name] = [text.value for text in js_strings(source)]
        else:
            found[name] = html_texts(source)
    return found


def test_no_line_of_french_text_can_start_with_a_colon_or_a_question_mark() -> None:
    """French sets `:`, `;`, `?` and `!` apart with a narrow no-break space (U+202F), never an
    ordinary space a line could break at."""
    spots = {
        name: [spot for text in texts for spot in breakable_spots(text)]
        for name, texts in french_texts().items()
    }
    assert {name: found for name, found in spots.items() if found} == {}
    assert any("\u202f:" in text for text in french_texts()["console/console.js"])


def test_the_scan_reads_strings_and_text_but_not_code_or_keys() -> None:
    script = (
        "const a = x ? 'Oui ?' : `Valeur : ${b ? 1 : 2}`; // Note : pas lue\n"
        "const m = { 'Ce lien a expiré : demandez': 'Lien expiré\u202f: redemandez' };"
    )
    texts = [text.value for text in js_strings(script)]
    assert texts == ["Oui ?", "Valeur : ", "Lien expiré\u202f: redemandez"]
    assert [spot for text in texts for spot in breakable_spots(text)] == ["Oui ?", "Valeur : "]
    assert html_texts('<p title="Aide : ici">Oui ?<b>x</b></p>') == ["Aide : ici", "Oui ?", "x"]
