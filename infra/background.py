"""Periodic work off the request path, run by the app's lifespan."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)


async def run_logged(job: Callable[[], Awaitable[object]]) -> None:
    """Run `job` once; a database outage is one warning line, anything else a traceback."""
    try:
        await job()
    except PyMongoError as exc:
        logger.warning(
            "background job %s: database unavailable (%s)", _name(job), type(exc).__name__
        )
    except Exception:
        logger.exception("background job %s failed", _name(job))


def _name(job: Callable[[], Awaitable[object]]) -> str:
    return getattr(job, "__qualname__", repr(job))


async def _every(interval: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(interval)
        await run_logged(job)


@asynccontextmanager
async def periodically(
    interval: float, job: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Run `job` every `interval` seconds while the block runs, and once more at its end."""
    task = asyncio.create_task(_every(interval, job))
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await run_logged(job)


@asynccontextmanager
async def running(job: Callable[[], Coroutine[Any, Any, None]]) -> AsyncIterator[None]:
    """Run `job` (a task meant to last) while the block runs; cancel it at the end."""
    task = asyncio.create_task(job())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
