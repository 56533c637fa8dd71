"""`last_used_at` of API keys, written in batches off the request path, at most once a minute."""

from datetime import datetime, timedelta

from pymongo import UpdateOne
from pymongo.errors import PyMongoError

from models import ApiKey
from models.clock import utcnow

MIN_INTERVAL = timedelta(minutes=1)


class KeyUsageRecorder:
    """Remembers when each key was used; `flush` writes what is due in one bulk write."""

    def __init__(self) -> None:
        self.pending: dict[str, datetime] = {}
        self.written: dict[str, datetime] = {}

    def touch(self, key_id: str) -> None:
        """Note a use now, unless this key's stamp was written less than a minute ago."""
        now = utcnow()
        last = self.written.get(key_id)
        if last is None or now - last >= MIN_INTERVAL:
            self.pending[key_id] = now

    async def flush(self) -> int:
        """Write the pending stamps; returns how many keys were stamped."""
        due, self.pending = self.pending, {}
        if not due:
            return 0
        try:
            await ApiKey.get_motor_collection().bulk_write(
                [
                    UpdateOne({"_id": key_id}, {"$max": {"last_used_at": when}})
                    for key_id, when in due.items()
                ],
                ordered=False,
            )
        except PyMongoError:
            self.pending = {**due, **self.pending}
            raise
        self.written.update(due)
        return len(due)
