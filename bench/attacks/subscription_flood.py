"""One seller's session tries to hold 100 websockets x 20 subscriptions; another tenant's reads.

The seller logs in (his password set with the CLI), opens 100 connections with his session
token and subscribes 20 times on each, while a key syncs an entry of his store every 0.2 s (so
the subscriptions have something to deliver). Figures: connections and subscriptions accepted
and refused (and how), and another tenant's `GET /api/integrations/stores` p50, idle against
during the flood.
"""

import asyncio
import json
import statistics
import time
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.attacks import Target
from tests.support.cli import rpai_json
from tests.support.live import KPI_UPDATES, PROTOCOL, websocket_url
from tests.support.provisioned import create_gerant, create_key

CONNECTIONS = 100
SUBSCRIPTIONS = 20
SELLER_EMAIL = "vendeur@attack.example"
SELLER_PASSWORD = "vendeur correct horse battery"
OTHER_EMAIL = "autre@attack.example"
READS = 60
HOLD_SECONDS = 8.0


async def p50(http: httpx.AsyncClient, key: str) -> str:
    """The median of READS sequential `GET /stores`, in ms, and the answers other than 200."""
    times, failed = [], 0
    for _ in range(READS):
        started = time.perf_counter()
        response = await http.get("/api/integrations/stores", headers={"X-API-Key": key})
        times.append((time.perf_counter() - started) * 1000)
        failed += response.status_code != 200
    return f"{statistics.median(times):.1f} ms ({failed} of {READS} not 200)"


async def seller_token(target: Target, http: httpx.AsyncClient) -> tuple[str, str, str]:
    """A store, a seller of it with a password, and his session token."""
    key = {"X-API-Key": target.api_key}
    store = await http.post(
        "/api/integrations/stores", headers=key, json={"name": "Flood", "location": "Lyon"}
    )
    store_id = store.json()["store"]["id"]
    seller = await http.post(
        f"/api/integrations/stores/{store_id}/sellers",
        headers=key,
        json={"name": "Vendeur", "email": SELLER_EMAIL, "send_invitation": False},
    )
    seller_id = seller.json()["seller_id"]
    await asyncio.to_thread(
        rpai_json, target.data_dir, "set-password", "--email", SELLER_EMAIL, "--password-stdin",
        stdin=SELLER_PASSWORD + "\n", env=target.env,
    )  # fmt: skip
    login = await http.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token } }",
            "variables": {"e": SELLER_EMAIL, "p": SELLER_PASSWORD},
        },
    )
    return store_id, seller_id, login.json()["data"]["login"]["token"]


async def other_tenant_key(target: Target) -> str:
    """A key of another gérant's, on the same server."""
    data, env = target.data_dir, target.env
    await asyncio.to_thread(create_gerant, data, "Autre", OTHER_EMAIL, None, env)
    return await asyncio.to_thread(create_key, data, OTHER_EMAIL, "Autre", "stores:read", env)


class Flood:
    """The seller's connections and what the server answered on each."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.acked = 0
        self.closed: dict[tuple[int, str], int] = {}
        self.refused: dict[str, int] = {}  # subscription errors, by code and message

    async def open(self, base_url: str, token: str) -> None:
        socket = await connect(websocket_url(base_url), subprotocols=[PROTOCOL])
        self.sockets.append(socket)
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await socket.send(json.dumps(init))
        try:
            answer = json.loads(await asyncio.wait_for(socket.recv(), 30))
        except ConnectionClosed as closed:
            reason = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (0, "")
            self.closed[reason] = self.closed.get(reason, 0) + 1
            return
        assert answer == {"type": "connection_ack"}, answer
        self.acked += 1
        for n in range(SUBSCRIPTIONS):
            message = {"id": str(n), "type": "subscribe", "payload": {"query": KPI_UPDATES}}
            await socket.send(json.dumps(message))
        asyncio.get_running_loop().create_task(self.listen(socket))

    async def listen(self, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                message: dict[str, Any] = json.loads(raw)
                errors = (message.get("payload") or {}).get("errors") or (
                    message["payload"] if message["type"] == "error" else None
                )
                if errors:
                    error = errors[0]
                    code = (error.get("extensions") or {}).get("code", "-")
                    label = f"{code}: {error['message']}"
                    self.refused[label] = self.refused.get(label, 0) + 1
        except ConnectionClosed:
            return

    async def close(self) -> None:
        await asyncio.gather(*(socket.close() for socket in self.sockets))


async def syncing(http: httpx.AsyncClient, key: str, store_id: str, seller_id: str) -> None:
    """An entry of the seller's store every 0.2 s, until cancelled."""
    ca = 0
    while True:
        ca += 1
        body = {
            "store_id": store_id,
            "date": "2025-03-03",
            "kpi_entries": [
                {"seller_id": seller_id, "ca_journalier": ca, "nb_ventes": 1, "nb_articles": 1}
            ],
        }
        await http.post("/api/integrations/kpi/sync", headers={"X-API-Key": key}, json=body)
        await asyncio.sleep(0.2)


async def run(target: Target) -> list[str]:
    async with httpx.AsyncClient(base_url=target.base_url, timeout=30) as http:
        store_id, seller_id, token = await seller_token(target, http)
        other = await other_tenant_key(target)
        await p50(http, other)  # the other key reaches the key directory
        idle = await p50(http, other)
        flood = Flood()
        writer = asyncio.create_task(syncing(http, target.api_key, store_id, seller_id))
        started = time.monotonic()
        await asyncio.gather(*(flood.open(target.base_url, token) for _ in range(CONNECTIONS)))
        opened = time.monotonic() - started
        await asyncio.sleep(1.0)  # the refusals arrive
        during = await p50(http, other)
        await asyncio.sleep(max(0.0, HOLD_SECONDS - (time.monotonic() - started)))
        writer.cancel()
        await flood.close()
    refused = sum(flood.refused.values())
    tried = flood.acked * SUBSCRIPTIONS
    lines = [
        f"connections: {CONNECTIONS} tried, {flood.acked} accepted, "
        f"{sum(flood.closed.values())} refused (opened in {opened:.1f} s)",
        *(f"  closed {code} {reason!r}: {n}" for (code, reason), n in flood.closed.items()),
        f"subscriptions: {tried} sent on the accepted connections, {tried - refused} accepted, "
        f"{refused} refused",
        *(f"  {label}: {n}" for label, n in flood.refused.items()),
        f"another tenant's GET /stores p50: idle {idle}, during the flood {during}",
    ]
    return lines
