"""The static pages people open: the staff space with its dashboards, the gérant's key console
and the invitation landing page, with their shared scripts and the vendored chart library.

Every page and asset is served with the same security headers: scripts and styles only from
this origin (no inline script), data only from `/graphql`, no framing, no referrer.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
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
