"""The audit trail: every API call recorded off the request path, and the gérant's views of it."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from pymongo.errors import PyMongoError

from models import AuditRecord
from models.clock import UtcDateTime, utcnow
from models.ids import new_id
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import BadRequest
from resolvers.inputs import MAX_ID, Input

DEFAULT_RETENTION = timedelta(days=90)
MAX_PENDING = 50_000
MAX_PAGE = 100
FORBIDDEN_REASON = "forbidden"


class AuditLog:
    """Records collected in memory by the edge and written in batches by a background task."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.retention = DEFAULT_RETENTION

    def record(self, **fields: Any) -> None:
        """Queue one call; under a flood, the oldest unwritten records are dropped first.

        The fields come from the edge, not from a caller, so the record is queued as the raw
        document `AuditRecord` reads back, with no model built on the request path.
        """
        now = utcnow()
        self.pending.append(
            {"_id": new_id("call"), "time": now, "expires_at": now + self.retention, **fields}
        )
        if len(self.pending) > MAX_PENDING:
            del self.pending[: len(self.pending) - MAX_PENDING]

    async def flush(self) -> int:
        """Write what is queued in one insert; on failure the batch waits for the next flush."""
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        try:
            await AuditRecord.get_motor_collection().insert_many(batch, ordered=False)
        except PyMongoError:
            self.pending = [*batch, *self.pending][-MAX_PENDING:]
            raise
        return len(batch)


audit_log = AuditLog()


class CallFilter(Input):
    status: int | None = Field(default=None, ge=100, le=599)
    key_id: str | None = Field(default=None, max_length=MAX_ID)
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None


@dataclass(frozen=True)
class CallPage:
    records: list[AuditRecord]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return cursor_of(self.records[-1]) if self.records else None


def cursor_of(record: AuditRecord) -> str:
    """An opaque position: the record's time and id."""
    raw = f"{record.time.isoformat()}|{record.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _after(cursor: str) -> dict[str, Any]:
    try:
        time_text, record_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        time = datetime.fromisoformat(time_text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadRequest(messages.INVALID_CURSOR) from None
    return {"$or": [{"time": {"$lt": time}}, {"time": time, "_id": {"$lt": record_id}}]}


def _time_range(since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Inclusive bounds, written as `> since - 1 ms`: SecantusDB's index scan on the descending
    `time` drops keys equal to a `$gte` bound (times are stored to the millisecond)."""
    bounds: dict[str, datetime] = {}
    if since is not None:
        bounds["$gt"] = since - timedelta(milliseconds=1)
    if until is not None:
        bounds["$lte"] = until
    return {"time": bounds} if bounds else {}


async def api_call_log(
    *, actor: Actor, filter: CallFilter, first: int, after: str | None
) -> CallPage:
    """The tenant's recorded calls, newest first, a page at a time (gérant session only)."""
    gerant = actor.require_gerant_session()
    if not 1 <= first <= MAX_PAGE:
        raise BadRequest(messages.PAGE_SIZE_RANGE.format(maximum=MAX_PAGE))
    query: dict[str, Any] = {
        "gerant_id": gerant.gerant_id,
        **_time_range(filter.since, filter.until),
    }
    if filter.status is not None:
        query["status"] = filter.status
    if filter.key_id is not None:
        query["key_id"] = filter.key_id
    if after:
        query = {"$and": [query, _after(after)]}
    found = await AuditRecord.find(query).sort("-time", "-_id").limit(first + 1).to_list()
    return CallPage(records=found[:first], has_next_page=len(found) > first)


@dataclass(frozen=True)
class AuthFailureGroup:
    reason: str
    client_ip: str | None
    count: int
    last_at: datetime


async def auth_failures(
    *, actor: Actor, since: datetime | None, until: datetime | None
) -> list[AuthFailureGroup]:
    """Refused calls made with the tenant's keys (401/403), grouped by reason and client IP."""
    gerant = actor.require_gerant_session()
    pipeline: list[dict[str, Any]] = [
        {
            "$match": {
                "gerant_id": gerant.gerant_id,
                "status": {"$in": [401, 403]},
                **_time_range(since, until),
            }
        },
        {
            "$group": {
                "_id": {
                    "reason": {"$ifNull": ["$auth_failure", FORBIDDEN_REASON]},
                    "ip": "$client_ip",
                },
                "count": {"$sum": 1},
                "last_at": {"$max": "$time"},
            }
        },
        {"$sort": {"count": -1, "last_at": -1}},
    ]
    groups = await AuditRecord.get_motor_collection().aggregate(pipeline).to_list(None)
    return [
        AuthFailureGroup(
            reason=group["_id"]["reason"],
            client_ip=group["_id"].get("ip"),
            count=group["count"],
            last_at=group["last_at"],
        )
        for group in groups
    ]
