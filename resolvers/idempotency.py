"""Idempotency keys: claim a key for one request, keep its response, replay it for repeats.

A key belongs to a tenant; its record's `_id` is unique, so inserting it is the lock that lets
exactly one request run across every API process. Nothing here costs a round trip to a request
that carries no key.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from pymongo.errors import DuplicateKeyError

from models.clock import utcnow
from models.idempotency_record import IdempotencyRecord, StoredResponse
from resolvers import messages
from resolvers.errors import BadRequest, Conflict, UnprocessableEntity

MAX_KEY_LENGTH = 255
# A request still "in progress" after this long was abandoned (its process died): take it over.
LOCK_TIMEOUT = timedelta(seconds=60)
# Answers that mean "try again later": a retry must run the request again, not replay them.
RETRY_LATER_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Claim:
    """The right to run the request of a key, held until `complete` or `release`."""

    record_id: str
    lock_id: str


def check_key(key: str) -> None:
    """400 unless the Idempotency-Key is 1 to 255 characters long."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise BadRequest(messages.IDEMPOTENCY_KEY_LENGTH.format(maximum=MAX_KEY_LENGTH))


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """SHA-256 of the method, path and raw body: what makes two requests the same request."""
    return hashlib.sha256(b"\0".join((method.encode(), path.encode(), body))).hexdigest()


def record_id(*, tenant_id: str, key: str) -> str:
    return f"{tenant_id}:{key}"


def is_final(status: int) -> bool:
    """Whether a response is the outcome to replay: anything but server errors and 'retry later'.

    Client errors are kept, as Stripe does: the same request would get the same answer, and the
    spec tells integrators not to retry them.
    """
    return status < 500 and status not in RETRY_LATER_STATUSES


async def claim(
    *, tenant_id: str, key: str, fingerprint: str, ttl: timedelta
) -> Claim | StoredResponse:
    """Take the key for this request (one insert), or else return the response to replay.

    Raises UnprocessableEntity if the key was used for another request, Conflict while the
    first request with it is still running.
    """
    now = utcnow()
    claimed = Claim(record_id=record_id(tenant_id=tenant_id, key=key), lock_id=uuid4().hex)
    record = IdempotencyRecord(
        id=claimed.record_id,
        fingerprint=fingerprint,
        lock_id=claimed.lock_id,
        locked_at=now,
        expires_at=now + ttl,
    )
    try:
        await record.insert()
        return claimed
    except DuplicateKeyError:
        pass
    existing = await IdempotencyRecord.get(claimed.record_id)
    if existing is None:  # released since our insert failed: its request is still finishing
        raise Conflict(messages.IDEMPOTENCY_KEY_IN_PROGRESS)
    if existing.expires_at > now:
        if existing.fingerprint != fingerprint:
            raise UnprocessableEntity(messages.IDEMPOTENCY_KEY_REUSED)
        if existing.response is not None:
            return existing.response
        if existing.locked_at > now - LOCK_TIMEOUT:
            raise Conflict(messages.IDEMPOTENCY_KEY_IN_PROGRESS)
    # Expired but not yet removed by the TTL monitor, or abandoned: take it over, unless
    # another request just did (the filter on the old lock makes that a compare-and-set).
    taken = await IdempotencyRecord.get_motor_collection().update_one(
        {"_id": claimed.record_id, "lock_id": existing.lock_id},
        {
            "$set": {
                "fingerprint": fingerprint,
                "lock_id": claimed.lock_id,
                "locked_at": now,
                "response": None,
                "expires_at": now + ttl,
            }
        },
    )
    if taken.matched_count != 1:
        raise Conflict(messages.IDEMPOTENCY_KEY_IN_PROGRESS)
    return claimed


async def complete(claimed: Claim, response: StoredResponse) -> None:
    """Keep the response to replay for the key (unless another request took the key over)."""
    await IdempotencyRecord.get_motor_collection().update_one(
        {"_id": claimed.record_id, "lock_id": claimed.lock_id},
        {"$set": {"response": response.model_dump()}},
    )


async def release(claimed: Claim) -> None:
    """Forget the key, so that a retry runs the request again."""
    await IdempotencyRecord.get_motor_collection().delete_one(
        {"_id": claimed.record_id, "lock_id": claimed.lock_id}
    )
