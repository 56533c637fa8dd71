"""Idempotency records: claim a key for one request, keep its response, replay it for repeats.

A record's `_id` is unique, so inserting it is the lock that lets exactly one request run
across every API process. Nothing here costs a round trip to a request that carries no key.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import Enum
from uuid import uuid4

from pymongo.errors import DuplicateKeyError

from models.clock import utcnow
from models.idempotency_record import IdempotencyRecord, StoredResponse

# A request still "in progress" after this long was abandoned (its process died): take it over.
LOCK_TIMEOUT = timedelta(seconds=60)
# The lock of a record whose request answered nothing worth keeping: anyone may take it.
RELEASED = ""


@dataclass(frozen=True)
class Claim:
    """The right to run the request of a key, held until `complete` or `release`."""

    record_id: str
    lock_id: str
    operation_id: str  # the mark of its creates: the same for every attempt of the request


class Busy(Enum):
    """Why a key cannot be claimed: its first request still runs, or it was for another one."""

    IN_PROGRESS = "in_progress"
    REUSED = "reused"


class Fingerprint:
    """SHA-256 of the method, path and raw body: what makes two requests the same request;
    the body fed as it arrives, never held whole."""

    def __init__(self, *, method: str, path: str) -> None:
        self._hash = hashlib.sha256(b"\0".join((method.encode(), path.encode(), b"")))

    def update(self, body_part: bytes) -> None:
        self._hash.update(body_part)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """The fingerprint of a request whose whole body is at hand."""
    made = Fingerprint(method=method, path=path)
    made.update(body)
    return made.hexdigest()


@dataclass(frozen=True)
class IdempotencyStore:
    """The records of one deployment; each is kept `ttl` after its first request."""

    ttl: timedelta

    async def claim(self, *, record_id: str, fingerprint: str) -> Claim | StoredResponse | Busy:
        """Take the key for this request (one insert), or else the response to replay, or why
        neither is possible."""
        now = utcnow()
        claimed = Claim(record_id=record_id, lock_id=uuid4().hex, operation_id=uuid4().hex)
        record = IdempotencyRecord(
            id=record_id,
            fingerprint=fingerprint,
            lock_id=claimed.lock_id,
            operation_id=claimed.operation_id,
            locked_at=now,
            expires_at=now + self.ttl,
        )
        try:
            await record.insert()
            return claimed
        except DuplicateKeyError:
            pass
        existing = await IdempotencyRecord.get(record_id)
        if existing is None:  # removed by the TTL monitor since our insert failed
            return Busy.IN_PROGRESS
        if existing.expires_at > now:
            released = existing.lock_id == RELEASED
            if existing.fingerprint != fingerprint and not released:
                return Busy.REUSED
            if existing.response is not None:
                return existing.response
            if existing.locked_at > now - LOCK_TIMEOUT and not released:
                return Busy.IN_PROGRESS
            if existing.fingerprint == fingerprint:
                # A retry of the same request, whose first attempt may have created things.
                claimed = replace(claimed, operation_id=existing.operation_id)
        # Expired but not yet removed by the TTL monitor, released, or abandoned: take it over,
        # unless another request just did (the filter on the old lock makes that a
        # compare-and-set).
        taken = await IdempotencyRecord.get_motor_collection().update_one(
            {"_id": record_id, "lock_id": existing.lock_id},
            {
                "$set": {
                    "fingerprint": fingerprint,
                    "lock_id": claimed.lock_id,
                    "operation_id": claimed.operation_id,
                    "locked_at": now,
                    "response": None,
                    "expires_at": now + self.ttl,
                }
            },
        )
        if taken.matched_count != 1:
            return Busy.IN_PROGRESS
        return claimed

    async def complete(self, claimed: Claim, response: StoredResponse) -> None:
        """Keep the response to replay for the key (unless another request took the key over)."""
        await IdempotencyRecord.get_motor_collection().update_one(
            {"_id": claimed.record_id, "lock_id": claimed.lock_id},
            {"$set": {"response": response.model_dump()}},
        )

    async def release(self, claimed: Claim, *, created: bool) -> None:
        """Free the key, so that a retry runs the request again. If the request tried to create
        something, the record stays (freed) with its operation id, so that the retry finds what
        this attempt may have created; otherwise it is removed."""
        mine = {"_id": claimed.record_id, "lock_id": claimed.lock_id}
        records = IdempotencyRecord.get_motor_collection()
        if created:
            await records.update_one(mine, {"$set": {"lock_id": RELEASED}})
        else:
            await records.delete_one(mine)
