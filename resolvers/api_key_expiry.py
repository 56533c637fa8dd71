"""`api_key.expiring`: recorded once for each key, 7 days before it expires, by a periodic job.

Any number of processes may run the job: a key is marked with its event in one transaction, on
the condition that it was not marked yet, so a second process finds nothing left to do.
"""

from datetime import timedelta

from motor.motor_asyncio import AsyncIOMotorClientSession

from contract.event_types import EventType
from contract.representations import api_key_out
from infra.event_log import EventLog
from models import ApiKey
from models.clock import utcnow
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.events import record

NOTICE = timedelta(days=7)
BATCH = 100


async def record_expiring_keys(events: EventLog) -> int:
    """Record the event of every active key (rotated ones aside: their end was chosen) that
    expires within NOTICE and has none yet, at most BATCH a run; how many were recorded."""
    now = utcnow()
    due = (
        await ApiKey.find(
            {
                "active": True,
                "replaced_by": None,
                "expiring_recorded_at": None,
                "expires_at": {"$gt": now, "$lte": now + NOTICE},
            }
        )
        .limit(BATCH)
        .to_list()
    )
    recorded = 0
    for api_key in due:
        recorded += await _record_expiring(api_key, events)
    return recorded


async def _record_expiring(api_key: ApiKey, events: EventLog) -> int:
    """Mark the key and record its event together; 0 if another process marked it first."""

    async def mark(session: AsyncIOMotorClientSession) -> int:
        marked = await ApiKey.get_motor_collection().update_one(
            scopes.api_keys(api_key.gerant_id, _id=api_key.id, expiring_recorded_at=None),
            {"$set": {"expiring_recorded_at": utcnow()}},
            session=session,
        )
        if not marked.modified_count:
            return 0
        await record(
            session,
            log=events,
            gerant_id=api_key.gerant_id,
            type=EventType.API_KEY_EXPIRING,
            resource=api_key_out(api_key),
        )
        return 1

    return await run_in_transaction(ApiKey, mark)
