"""Periodic work off the request path, run by the app's lifespan."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

logger = logging.getLogger(__name__)


async def _every(interval: float, job: Callable[[], Awaitable[object]]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await job()
        except Exception:
            logger.exception("background job failed; retrying in %s s", interval)


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
        try:
            await job()
        except Exception:
            logger.exception("final run of background job failed")
