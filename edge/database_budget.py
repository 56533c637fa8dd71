"""A request's time budget on the database: every operation it makes carries a `maxTimeMS` of
what remains of it, so no request can hold the database longer, whatever it asks."""

import pymongo
from starlette.types import ASGIApp, Receive, Scope, Send


class DatabaseBudget:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with pymongo.timeout(self.seconds):
            await self.app(scope, receive, send)
