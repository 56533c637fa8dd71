"""`uvicorn rpai.asgi:app`: the app built from environment settings (MONGODB_URL etc.)."""

from fastapi import FastAPI

from edge.log_records import install_request_ids
from rpai.app import create_app
from rpai.embedded_db import end_with_parent
from rpai.heap import freeze_startup_objects

app = create_app()
freeze_startup_objects()


def worker_app() -> FastAPI:
    """The app of one `rpai serve --workers N` process (uvicorn's factory), from the settings
    its manager put in the environment: it ends with its manager, even one killed by SIGKILL.
    uvicorn gave it the manager's log format, not its record factory: that is installed here."""
    install_request_ids()
    end_with_parent()
    app = create_app()
    freeze_startup_objects()
    return app
