"""Live KPI updates across processes: two `rpai serve` on one database, a frontend subscribed
on one, a till syncing through the other; the event arrives within a second."""

import asyncio
import json
from pathlib import Path
from uuid import uuid4

from tests.support.live import follow_and_sync
from tests.support.provisioned import provision
from tests.support.servers import subprocess_server
from tests.support.settings import TEST_JWT_SECRET

DELIVERY_BOUND = 1.0  # seconds: the promise


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
