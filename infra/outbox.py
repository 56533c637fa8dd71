"""An outbox's leases over any collection: claim the most overdue message, record the outcome
only while the lease holds, retry with backoff, and drain a batch per run.

A claim is one atomic conditional update, so each message is held by one sender at a time; the
lease (`next_attempt_at` while `sending`) ends by itself, so a message whose sender died is
claimed again once it has passed. Every API process runs its outboxes: the database decides.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar
from uuid import uuid4

from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo import ASCENDING, ReturnDocument

from models.clock import utcnow

logger = logging.getLogger(__name__)

C = TypeVar("C")

# Longer than one SMTP exchange may take (the transport's timeouts are well under it), so a
# live sender never loses its lease mid-send.
LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8
BATCH = 20
MAX_ERROR_TEXT = 500


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt at next_attempt_at
    SENDING = "sending"  # claimed by a sender until next_attempt_at (the lease's end)
    SENT = "sent"
    FAILED = "failed"  # every attempt failed, or there is nothing to send any more


@dataclass(frozen=True)
class Lease:
    """A claimed message as stored after the claim, and the claim's own owner token."""

    document: dict[str, Any]
    owner: str


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling each time, at most an hour."""
    return min(FIRST_RETRY * int(2 ** (attempts - 1)), MAX_RETRY)


def failed_attempt(attempts: int, error: str) -> dict[str, Any]:
    """The next state after a failed attempt: a retry after the backoff, or failed for good."""
    if attempts >= MAX_ATTEMPTS:
        return {"status": OutboxStatus.FAILED, "last_error": error[:MAX_ERROR_TEXT]}
    return {
        "status": OutboxStatus.PENDING,
        "next_attempt_at": utcnow() + retry_delay(attempts),
        "last_error": error[:MAX_ERROR_TEXT],
    }


def failed_for_good(reason: str) -> dict[str, Any]:
    """The state of a message that no further attempt could send."""
    return {"status": OutboxStatus.FAILED, "last_error": reason[:MAX_ERROR_TEXT]}


def sent() -> dict[str, Any]:
    return {"status": OutboxStatus.SENT, "sent_at": utcnow(), "last_error": None}


async def claim_next(
    collection: AsyncIOMotorCollection[dict[str, Any]], *, also: dict[str, Any] | None = None
) -> Lease | None:
    """Lease the most overdue message, pending or with an expired lease; `also` is written
    with the claim (a token minted for this attempt)."""
    now = utcnow()
    owner = uuid4().hex
    found = await collection.find_one_and_update(
        {
            "status": {"$in": [OutboxStatus.PENDING, OutboxStatus.SENDING]},
            "next_attempt_at": {"$lte": now},
        },
        {
            "$set": {
                **(also or {}),
                "status": OutboxStatus.SENDING,
                "next_attempt_at": now + LEASE,
                "lease_owner": owner,
            },
            "$inc": {"attempts": 1},
        },
        sort=[("next_attempt_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    return None if found is None else Lease(document=found, owner=owner)


async def settle(
    collection: AsyncIOMotorCollection[dict[str, Any]], lease: Lease, changes: dict[str, Any]
) -> bool:
    """Record an attempt's outcome if the lease still holds (else someone reclaimed the message
    meanwhile, and their state wins); whether it was recorded."""
    result = await collection.update_one(
        {
            "_id": lease.document["_id"],
            "lease_owner": lease.owner,
            "status": OutboxStatus.SENDING,
        },
        {"$set": {**changes, "lease_owner": None}},
    )
    if result.modified_count == 0:
        logger.warning(
            "%s %s: lease lost before the outcome was recorded",
            collection.name,
            lease.document["_id"],
        )
        return False
    return True


async def drain(
    claim: Callable[[], Awaitable[C | None]], deliver: Callable[[C], Awaitable[bool]]
) -> int:
    """Deliver due messages one claim at a time, at most BATCH; how many were handled.

    The first failed delivery ends the run: the server is likely down, and the other messages
    wait for the next run rather than each spending an attempt (and a timeout).
    """
    handled = 0
    while handled < BATCH:
        claimed = await claim()
        if claimed is None:
            break
        handled += 1
        if not await deliver(claimed):
            break
    return handled
