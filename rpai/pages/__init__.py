"""The static pages people open: the gérant's key console and the invitation landing page."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGES_DIR = Path(__file__).parent
CONSOLE_DIR = PAGES_DIR / "console"
INVITATION_DIR = PAGES_DIR / "invitation"
INVITATION_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}


def install_pages(app: FastAPI) -> None:
    """Serve `/console/`, and `/invitation?token=…` with its assets under `/invitation/`."""
    app.mount("/console", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/invitation", include_in_schema=False)
    async def invitation_page() -> FileResponse:
        return FileResponse(INVITATION_DIR / "index.html", headers=INVITATION_HEADERS)

    app.mount("/invitation", StaticFiles(directory=INVITATION_DIR), name="invitation")
