"""The static pages people open: the staff space with its dashboards, the gérant's key console
and the invitation landing page, with their shared scripts and the vendored chart library; the
API reference (Swagger UI and ReDoc); and GraphiQL, from vendored files too.

Every page and asset is served with security headers: scripts and styles only from this origin
(no inline script on our pages), data only from `/graphql`, no framing, no referrer.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

PAGES_DIR = Path(__file__).parent
INVITATION_DIR = PAGES_DIR / "invitation"
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
# The invitation link carries its token: no copy of the page may be kept.
INVITATION_HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store"}
# URL path -> folder under rpai/pages/; the home page is the staff space.
MOUNTS = {
    "/espace": "espace",
    "/console": "console",
    "/common": "common",
    "/vendor": "vendor",
    "/graphiql": "graphiql",
}
HOME = "/espace/"


def with_headers(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


class PageFiles(StaticFiles):
    """Static files sent with the pages' security headers (redirects and 404s included)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            headers = {**(exc.headers or {}), **PAGE_HEADERS}
            raise HTTPException(exc.status_code, exc.detail, headers=headers) from None
        return with_headers(response, PAGE_HEADERS)


# Swagger UI and ReDoc as the pinned fastapi-offline package ships them: nothing from a CDN.
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS_PATH = "/docs-assets"
# The pages load only what this service serves: ReDoc's sidebar logo from its CDN is refused.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
DOCS_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": DOCS_POLICY}


# GraphiQL's editors and React set styles on their elements, and its CSS inlines its icons:
# its page allows inline styles and data: images, nothing else the other pages refuse.
GRAPHIQL_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
).replace("img-src 'self'", "img-src 'self' data:; font-src 'self' data:")
GRAPHIQL_HEADERS = {**PAGE_HEADERS, "Content-Security-Policy": GRAPHIQL_POLICY}
GRAPHIQL_PAGE = PAGES_DIR / "graphiql" / "index.html"


def graphiql_page() -> HTMLResponse:
    """GraphiQL, as `GET /graphql` shows it to a browser: every asset from this service."""
    return HTMLResponse(GRAPHIQL_PAGE.read_text(), headers=GRAPHIQL_HEADERS)


def install_api_reference(app: FastAPI) -> None:
    """Serve Swagger UI at `/docs` and ReDoc at `/redoc`, reading `/openapi.json`."""
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    favicon = f"{DOCS_ASSETS_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} — Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            swagger_ui_parameters={"validatorUrl": None},
        )
        return HTMLResponse(page.body, headers=DOCS_HEADERS)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=str(app.openapi_url),
            title=f"{app.title} — ReDoc",
            redoc_js_url=f"{DOCS_ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
        return HTMLResponse(page.body, headers=DOCS_HEADERS)


def install_pages(app: FastAPI) -> None:
    """Serve the pages: `/` leads to the staff space; `/invitation?token=…` has its assets under
    `/invitation/`."""

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(HOME)

    @app.get("/invitation", include_in_schema=False)
    async def invitation_page() -> FileResponse:
        return FileResponse(INVITATION_DIR / "index.html", headers=INVITATION_HEADERS)

    app.mount("/invitation", PageFiles(directory=INVITATION_DIR), name="invitation")
    for path, folder in MOUNTS.items():
        app.mount(path, PageFiles(directory=PAGES_DIR / folder, html=True), name=folder)
    install_api_reference(app)
