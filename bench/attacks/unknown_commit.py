"""Unknown commit: the embedded database killed under a stream of creates, and restarted by its
server; every write left unanswered (or answered 503) is sent again with its Idempotency-Key.

Each must be answered 200 with what it created: never 400 "already exists", whether the first
attempt's commit was lost (the driver's retry reached the restarted database) or not. The
server itself keeps running: only its database child is killed, and it starts it again.
"""

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import httpx

from bench.attacks import Target
from tests.support.chaos import Ledger, retry_unanswered, writer

KILLS = 4
WORKERS = 4
# Thousands of writes a minute from one key: the default limit would refuse them first.
SERVER_ENV = {"RPAI_RATE_LIMIT_PER_MINUTE": "1000000"}
READY_SECONDS = 60.0
AFTER_SECONDS = 2.0


def database_pid(data_dir: Path) -> int:
    """The server's embedded database child: the `rpai.embedded_db` process on `data_dir`."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"rpai.embedded_db" in command and any(str(data_dir).encode() in a for a in command):
            return int(entry.name)
    raise RuntimeError(f"no embedded database found for {data_dir}")


async def wait_ready(http: httpx.AsyncClient) -> float:
    """Seconds until /readyz answers 200 again (the server restarted its database)."""
    started = time.monotonic()
    while (await http.get("/readyz")).status_code != 200:
        if time.monotonic() - started > READY_SECONDS:
            raise RuntimeError("the database did not come back")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def run(target: Target) -> list[str]:
    lines: list[str] = []
    totals = [0, 0, 0, 0, 0]  # acknowledged, refused "already exists", retried, 200, failed
    async with httpx.AsyncClient(base_url=target.base_url, timeout=30) as http:
        for kill in range(KILLS):
            ledger = Ledger()
            workers = [
                asyncio.create_task(writer(http, target.api_key, worker, kill, ledger))
                for worker in range(WORKERS)
            ]
            await asyncio.sleep(random.uniform(0.5, 1.5))
            os.kill(database_pid(target.data_dir), signal.SIGKILL)
            back = await wait_ready(http)
            # Writers stop at their first failure; those whose requests waited the database
            # out would write on: stop them a moment after it is back.
            await asyncio.sleep(AFTER_SECONDS)
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            retries = await retry_unanswered(target.base_url, target.api_key, ledger)
            acknowledged = len(ledger.stores) + len(ledger.sellers)
            acknowledged += len(ledger.acknowledged_batches)
            lines.append(
                f"kill {kill + 1}: database back in {back:.1f} s; {acknowledged} writes "
                f"acknowledged, {ledger.already_exists} answered 'already exists'; "
                f"{retries.sent} retried with their key: {retries.answered} answered 200, "
                f"{retries.already_exists} 'already exists', {retries.other} other"
            )
            for i, n in enumerate(
                (
                    acknowledged,
                    ledger.already_exists,
                    retries.sent,
                    retries.answered,
                    retries.failed,
                )
            ):
                totals[i] += n
    lines.append(
        f"total: {totals[0]} acknowledged, {totals[1]} 'already exists' before a retry, "
        f"{totals[2]} retried, {totals[3]} answered 200, {totals[4]} not (target: 0 and 0)"
    )
    return lines
