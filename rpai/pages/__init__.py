"""The static pages people open: the staff space with its dashboards, the gérant's console (API
keys and webhooks) and the invitation landing page, with their shared scripts and the vendored
chart library; the API reference (Swagger UI and ReDoc); and GraphiQL, from vendored files too.

Each page is one head (`page.html`, filled from its `Page` below) around its folder's
`body.html`. Every page and asset is served with security headers: scripts and styles only from
this origin (no inline script on our pages), data only from `/graphql`, no framing, no referrer.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

PAGES_DIR = Path(__file__).parent
INVITATION_DIR = PAGES_DIR / "invitation"
RESET_DIR = PAGES_DIR / "reset"
HEAD_TEMPLATE = PAGES_DIR / "page.html"
# A page's own markup, inside its folder; only served whole, within the page's head.
BODY_FILE = "body.html"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
# The invitation and reset links carry their token: no copy of the page may be kept.
INVITATION_HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}
# URL path -> folder under rpai/pages/ for the pages' assets; the home page is the staff space.
MOUNTS = {
    "/espace": "espace",
    "/console": "console",
    "/common": "common",
    "/vendor": "vendor",
    "/graphiql": "graphiql",
}
HOME = "/espace/"


@dataclass(frozen=True)
class Page:
    """A page: its folder (whose `body.html` it shows), its title, and the styles and scripts
    its head loads, in order (scripts deferred: they run once the body is parsed)."""

    folder: str
    title: str
    styles: tuple[str, ...]
    scripts: tuple[str, ...]
    lang: str = "fr"
    body: str = BODY_FILE  # the folder's file with the page's markup

    def html(self) -> str:
        links = [f'  <link rel="stylesheet" href="{escape(url)}">' for url in self.styles]
        links += [f'  <script src="{escape(url)}" defer></script>' for url in self.scripts]
        return Template(HEAD_TEMPLATE.read_text()).substitute(
            lang=self.lang,
            title=escape(self.title),
            assets="\n".join(links),
            body=(PAGES_DIR / self.folder / self.body).read_text(),
        )


def staff_page(
    folder: str, title: str, *, libraries: tuple[str, ...] = (), parts: tuple[str, ...] = ()
) -> Page:
    """A page of ours in French: the shared style and scripts, then the folder's own (`parts`,
    its further scripts, before its main one, which starts them)."""
    return Page(
        folder=folder,
        title=f"{title} — Retail Performer AI",
        styles=("/common/rpai.css", f"/{folder}/{folder}.css"),
        scripts=(
            *libraries,
            "/common/documents.js",
            "/common/rpai.js",
            *(f"/{folder}/{part}" for part in parts),
            f"/{folder}/{folder}.js",
        ),
    )


ESPACE = staff_page("espace", "Mon espace", libraries=("/vendor/chart.js/chart.umd.min.js",))
CONSOLE = staff_page("console", "Clés API et webhooks", parts=("webhooks.js",))
INVITATION = staff_page("invitation", "Activer votre compte")
RESET = staff_page("reset", "Mot de passe oublié")
# The staff space's team page, beside the dashboards in the espace folder.
STAFF = Page(
    folder="espace",
    body="staff.html",
    title="Équipe — Retail Performer AI",
    styles=("/common/rpai.css", "/espace/staff.css"),
    scripts=("/common/documents.js", "/common/rpai.js", "/espace/staff.js"),
)
# The gérant's KPI import, beside them.
IMPORT = Page(
    folder="espace",
    body="import.html",
    title="Importer des KPI — Retail Performer AI",
    styles=("/common/rpai.css", "/espace/staff.css"),
    scripts=("/common/documents.js", "/common/rpai.js", "/espace/import.js"),
)
GRAPHIQL = Page(
    folder="graphiql",
    title="GraphiQL — Retail Performer AI",
    lang="en",
    styles=("/vendor/graphiql/graphiql.min.css", "/graphiql/graphiql.css"),
    scripts=(
        "/vendor/graphiql/react.production.min.js",
        "/vendor/graphiql/react-dom.production.min.js",
        "/vendor/graphiql/graphql-ws.min.js",
        "/vendor/graphiql/graphiql.min.js",
        # Its first query is one of the pages' documents.
        "/common/documents.js",
        "/graphiql/graphiql.js",
    ),
)


@cache
def rendered(page: Page) -> str:
    """The page's HTML, put together once per process."""
    return page.html()


def with_headers(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


class PageFiles(StaticFiles):
    """Static files sent with the pages' security headers (redirects and 404s included)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            if Path(path).suffix == ".html":  # a page's markup, served within its head only
                raise HTTPException(404)
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            headers = {**(exc.headers or {}), **PAGE_HEADERS}
            raise HTTPException(exc.status_code, exc.detail, headers=headers) from None
        return with_headers(response, PAGE_HEADERS)


# Swagger UI and ReDoc as the pinned fastapi-offline package ships them: nothing from a CDN.
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS_PATH = "/docs-assets"
REFERENCE_DIR = PAGES_DIR / "reference"
REDOC_BUNDLE = "redoc.standalone.js"
# ReDoc's side menu always shows Redocly's logo from its CDN: the bundle is served with that
# address replaced by an empty image, which fails to load at once, and ReDoc then hides it.
REDOC_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_IMAGE = b"data:,"
# Both pages run scripts from this service only (Swagger UI is started from a file, not an
# inline script); their bundles set styles on elements and ReDoc parses in a blob worker.
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCS_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": DOCS_POLICY}


def redoc_bundle() -> bytes:
    """ReDoc's bundle without its one remote address (checked: a new release must be looked at)."""
    bundle = (DOCS_ASSETS / REDOC_BUNDLE).read_bytes()
    if bundle.count(REDOC_REMOTE_LOGO) != 1:
        raise RuntimeError(f"{REDOC_BUNDLE}: Redocly's logo address is not where it was")
    return bundle.replace(REDOC_REMOTE_LOGO, NO_IMAGE)


# GraphiQL's editors and React set styles on their elements, and its CSS inlines its icons:
# its page allows inline styles and data: images, nothing else the other pages refuse.
GRAPHIQL_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("img-src 'self'", "img-src 'self' data:; font-src 'self' data:")
GRAPHIQL_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": GRAPHIQL_POLICY}


def graphiql_page() -> HTMLResponse:
    """GraphiQL, as `GET /graphql` shows it to a browser: every asset from this service."""
    return HTMLResponse(rendered(GRAPHIQL), headers=GRAPHIQL_HEADERS)


def install_api_reference(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` and ReDoc at `/redoc`, reading `/openapi.json`."""
    redoc_js = redoc_bundle()

    # Before the assets' mount, which would answer this path first.
    @app.get(f"{DOCS_ASSETS_PATH}/{REDOC_BUNDLE}", include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(redoc_js, media_type="text/javascript", headers=PAGE_HEADERS)

    app.mount(DOCS_ASSETS_PATH, PageFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.mount("/reference", PageFiles(directory=REFERENCE_DIR), name="reference")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> FileResponse:
        return FileResponse(REFERENCE_DIR / "swagger.html", headers=DOCS_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> FileResponse:
        return FileResponse(REFERENCE_DIR / "redoc.html", headers=DOCS_HEADERS)


def install_pages(app: FastAPI) -> None:
    """Serve the pages: `/` leads to the staff space; `/invitation?token=…` has its assets under
    `/invitation/`, `/reinitialisation` (the password reset, `?token=…` from its email) under
    `/reset/`."""

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(HOME)

    # Before the assets' mounts, which would answer these paths first.
    pages = {"/espace/": ESPACE, "/espace/equipe": STAFF, "/espace/import": IMPORT}
    for path, page in {**pages, "/console/": CONSOLE}.items():
        app.add_api_route(
            path,
            page_route(page, PAGE_HEADERS),
            methods=["GET", "HEAD"],
            include_in_schema=False,
        )
    app.add_api_route(
        "/invitation",
        page_route(INVITATION, INVITATION_HEADERS),
        methods=["GET", "HEAD"],
        include_in_schema=False,
    )

    app.add_api_route(
        "/reinitialisation",
        page_route(RESET, INVITATION_HEADERS),
        methods=["GET", "HEAD"],
        include_in_schema=False,
    )

    app.mount("/invitation", PageFiles(directory=INVITATION_DIR), name="invitation")
    app.mount("/reset", PageFiles(directory=RESET_DIR), name="reset")
    for path, folder in MOUNTS.items():
        app.mount(path, PageFiles(directory=PAGES_DIR / folder), name=folder)
    install_api_reference(app)


def page_route(page: Page, headers: dict[str, str]) -> Callable[[], Awaitable[HTMLResponse]]:
    """The endpoint that answers `page` with `headers`."""

    async def endpoint() -> HTMLResponse:
        return HTMLResponse(rendered(page), headers=headers)

    endpoint.__name__ = f"{page.folder}_page"
    return endpoint
