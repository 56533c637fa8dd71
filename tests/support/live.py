"""A graphql-transport-ws client, as a frontend opens one: real websockets, JSON messages; and
a subscriber following a sync sent to another server."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
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


def call(base: str, method: str, path: str, key: str, body: Any = None) -> Any:
    response = httpx.request(
        method, f"{base}/api/integrations{path}", json=body, headers={"X-API-Key": key}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def follow_and_sync(reader: str, writer: str, key: str) -> tuple[dict[str, Any], float]:
    """Subscribe on `reader`, sync on `writer`: the event, and how long after the sync's answer
    it came."""
    store = await asyncio.to_thread(
        call, writer, "POST", "/stores", key, {"name": "Lyon", "location": "69001 Lyon"}
    )
    store_id = store["store"]["id"]
    seller = await asyncio.to_thread(
        call,
        writer,
        "POST",
        f"/stores/{store_id}/sellers",
        key,
        {"name": "Marie", "email": "marie@example.com", "send_invitation": False},
    )
    async with live(reader, {"X-API-Key": key}) as socket:
        await acknowledged(socket)
        await subscribe(socket, variables={"s": [store_id]})
        await asyncio.sleep(0.5)  # the subscription and the reader's stream are in place
        body = {
            "store_id": store_id,
            "date": "2024-01-15",
            "kpi_entries": [
                {
                    "seller_id": seller["seller_id"],
                    "ca_journalier": 1250.5,
                    "nb_ventes": 12,
                    "nb_articles": 28,
                    "prospects": 35,
                }
            ],
        }
        await asyncio.to_thread(call, writer, "POST", "/kpi/sync", key, body)
        answered = time.monotonic()
        message = await asyncio.wait_for(received(socket), 10)
        delay = time.monotonic() - answered
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["kpiUpdates"]
    assert event == {
        "storeId": store_id,
        "sellerId": seller["seller_id"],
        "date": "2024-01-15",
        "caJournalier": "1250.50",
        "nbVentes": 12,
        "nbArticles": 28,
        "prospects": 35,
        "source": "external_api",
    }
    return event, delay
