"""The audit trail's write side: records queued by the edge, written in batches off the path."""

from datetime import timedelta
from typing import Any

from pymongo.errors import BulkWriteError, PyMongoError

from models import AuditRecord
from models.clock import utcnow
from models.ids import new_id

MAX_PENDING = 50_000
DUPLICATE_KEY = 11000


class AuditBuffer:
    """Records collected in memory and written by a background task, kept `retention` long."""

    def __init__(self, retention: timedelta) -> None:
        self.pending: list[dict[str, Any]] = []
        self.retention = retention

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
        """Write what is queued in one insert; how many records were written.

        A record whose id is already stored was written by an earlier flush that failed or
        timed out after writing it: it is done, never sent again. The others wait for the
        next flush when this one fails.
        """
        batch, self.pending = self.pending, []
        if not batch:
            return 0
        try:
            await AuditRecord.get_motor_collection().insert_many(batch, ordered=False)
        except BulkWriteError as exc:
            failed = {
                error["index"]
                for error in exc.details.get("writeErrors", [])
                if error.get("code") != DUPLICATE_KEY
            }
            self._requeue([batch[index] for index in sorted(failed)])
            if failed:
                raise
            return int(exc.details.get("nInserted", 0))
        except PyMongoError:
            self._requeue(batch)
            raise
        return len(batch)

    def _requeue(self, records: list[dict[str, Any]]) -> None:
        self.pending = [*records, *self.pending][-MAX_PENDING:]
