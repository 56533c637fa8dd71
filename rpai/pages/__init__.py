"""The static pages people open: the gérant's key console, the invitation landing page, and
the API reference (Swagger UI and ReDoc)."""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

PAGES_DIR = Path(__file__).parent
CONSOLE_DIR = PAGES_DIR / "console"
INVITATION_DIR = PAGES_DIR / "invitation"
INVITATION_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


# Swagger UI and ReDoc as the pinned fastapi-offline package ships them: nothing from a CDN.
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS_PATH = "/docs-assets"
# The pages load only what this service serves: ReDoc's sidebar logo from its CDN is refused.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
DOCS_HEADERS = {"Content-Security-Policy": DOCS_POLICY}


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
    """Serve `/console/`, and `/invitation?token=…` with its assets under `/invitation/`."""
    app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/invitation", include_in_schema=False)
    async def invitation_page() -> FileResponse:
        return FileResponse(INVITATION_DIR / "index.html", headers=INVITATION_HEADERS)

    app.mount("/invitation", StaticFiles(directory=INVITATION_DIR), name="invitation")
    install_api_reference(app)
