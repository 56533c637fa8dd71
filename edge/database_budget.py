"""A request's time budget on the database: every operation it makes carries a `maxTimeMS` of
what remains of it, so no request can hold the database longer, whatever it asks. An import's
upload is the exception: its file's writes take a budget each (`resolvers/kpi/imports.py`)."""

import pymongo
from starlette.types import ASGIApp, Receive, Scope, Send

from edge.paths import is_upload


class DatabaseBudget:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_upload(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        with pymongo.timeout(self.seconds):
            await self.app(scope, receive, send)
