"""A graphql-transport-ws client, as a frontend opens one: real websockets, JSON messages."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
KPI_UPDATES = """subscription($s: [ID!]) {
  kpiUpdates(storeIds: $s) {
    storeId sellerId date caJournalier nbVentes nbArticles prospects source
  }
}"""


def websocket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def live(base_url: str, payload: dict[str, Any] | None) -> AsyncIterator[ClientConnection]:
    """A connection to /graphql, initialised with `payload` (the credentials); the server's
    answer to connection_init is left to read."""
    async with connect(websocket_url(base_url), subprotocols=[PROTOCOL]) as socket:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await socket.send(json.dumps(init))
        yield socket


async def received(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await socket.recv())
    return message


async def acknowledged(socket: ClientConnection) -> None:
    assert await received(socket) == {"type": "connection_ack"}


async def subscribe(
    socket: ClientConnection,
    query: str = KPI_UPDATES,
    variables: dict[str, Any] | None = None,
    operation_id: str = "1",
) -> None:
    await socket.send(
        json.dumps(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
    )
