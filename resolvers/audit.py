"""The audit trail as the gérant reads it: his tenant's calls, and refused authentications."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from contract import messages
from contract.actor import Actor
from contract.inputs import MAX_ID, Input
from models import AuditRecord
from models.clock import UtcDateTime
from resolvers import scopes
from resolvers.pagination import (
    Page,
    check_page_size,
    newest_first_after,
    newest_first_key,
    page_of,
)

FORBIDDEN_REASON = "forbidden"
EARLIEST = datetime(2, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


def _on_the_calendar(value: datetime | None) -> datetime | None:
    """A bound that stays a date once shifted by a millisecond (the year 1 does not)."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(messages.TIME_OUT_OF_RANGE.format(earliest=EARLIEST, latest=LATEST))
    return value


Bound = Annotated[UtcDateTime | None, AfterValidator(_on_the_calendar)]


class TimeRange(Input):
    """From `since` to `until`, both inclusive; either may be left open."""

    since: Bound = None
    until: Bound = None


class CallFilter(TimeRange):
    status: int | None = Field(default=None, ge=100, le=599)
    key_id: str | None = Field(default=None, max_length=MAX_ID)


def sort_key(record: AuditRecord) -> tuple[str, str]:
    return newest_first_key(record.time, record.id)


def _time_range(period: TimeRange) -> dict[str, Any]:
    """Inclusive bounds, written as `> since - 1 ms`: SecantusDB's index scan on the descending
    `time` drops keys equal to a `$gte` bound (times are stored to the millisecond)."""
    bounds: dict[str, datetime] = {}
    if period.since is not None:
        bounds["$gt"] = period.since - timedelta(milliseconds=1)
    if period.until is not None:
        bounds["$lte"] = period.until
    return {"time": bounds} if bounds else {}


async def api_call_log(
    *, actor: Actor, filter: CallFilter, first: int, after: str | None
) -> Page[AuditRecord]:
    """The tenant's recorded calls, newest first, a page at a time (gérant session only)."""
    gerant = actor.require_gerant_session()
    check_page_size(first)
    query = scopes.audit_records(gerant.gerant_id, **_time_range(filter))
    if filter.status is not None:
        query["status"] = filter.status
    if filter.key_id is not None:
        query["key_id"] = filter.key_id
    if after:
        query = {"$and": [query, newest_first_after(after, "time")]}
    found = await AuditRecord.find(query).sort("-time", "-_id").limit(first + 1).to_list()
    return page_of(found, first, sort_key)


@dataclass(frozen=True)
class AuthFailureGroup:
    reason: str
    client_ip: str | None
    count: int
    last_at: datetime


async def auth_failures(*, actor: Actor, period: TimeRange) -> list[AuthFailureGroup]:
    """Refused calls made with the tenant's keys (401/403), grouped by reason and client IP."""
    gerant = actor.require_gerant_session()
    pipeline: list[dict[str, Any]] = [
        {
            "$match": scopes.audit_records(
                gerant.gerant_id, status={"$in": [401, 403]}, **_time_range(period)
            )
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
