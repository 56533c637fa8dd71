"""Live KPI updates across processes: two `rpai serve` on one database, a frontend subscribed
on one, a till syncing through the other; the event arrives within a second."""

import asyncio
import json
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from tests.support.live import acknowledged, live, received, subscribe
from tests.support.provisioned import provision
from tests.support.servers import subprocess_server
from tests.support.settings import TEST_JWT_SECRET

DELIVERY_BOUND = 1.0  # seconds: the promise


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


def test_a_sync_on_one_server_reaches_a_subscriber_on_the_other(
    tmp_path: Path, secantus_uri: str
) -> None:
    env = {"MONGODB_URL": f"{secantus_uri}live_{uuid4().hex}", "RPAI_JWT_SECRET": TEST_JWT_SECRET}
    key = provision(tmp_path / "cli", name="Alice", key_name="Front et caisse", env=env).key
    with (
        subprocess_server(tmp_path / "a", tmp_path / "a.log", env) as writer,
        subprocess_server(tmp_path / "b", tmp_path / "b.log", env) as reader,
    ):
        _, delay = asyncio.run(follow_and_sync(reader, writer, key))
    (tmp_path / "delay.json").write_text(json.dumps({"seconds": delay}))
    assert delay < DELIVERY_BOUND, delay
