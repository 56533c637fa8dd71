"""The landing page of invitation links (static, French), and their tokens kept out of logs."""

import logging
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

PAGE_DIR = Path(__file__).parent / "invitation"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
}
TOKEN_VALUE = re.compile(r"(\btoken=)[^&\s]*")


class RedactTokens(logging.Filter):
    """Blanks `token=` query values in access-log lines (uvicorn logs the full request path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                TOKEN_VALUE.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


redact_tokens = RedactTokens()


def install_invitation_page(app: FastAPI) -> None:
    """Serve `/invitation?token=…` (the page) and its assets under `/invitation/`."""
    logging.getLogger("uvicorn.access").addFilter(redact_tokens)

    @app.get("/invitation", include_in_schema=False)
    async def invitation_page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html", headers=PAGE_HEADERS)

    app.mount("/invitation", StaticFiles(directory=PAGE_DIR), name="invitation")
