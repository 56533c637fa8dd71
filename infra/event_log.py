"""What the event log's writer takes from the settings: how long an event is kept."""

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class EventLog:
    """Events expire `retention` after they are recorded (RPAI_EVENT_RETENTION_DAYS)."""

    retention: timedelta = timedelta(days=DEFAULT_RETENTION_DAYS)

    def expiry(self, recorded_at: datetime) -> datetime:
        return recorded_at + self.retention


# The rules' default, the setting's own: callers outside a running app (the CLI's own settings
# aside, tests and benches calling rules directly) keep events the default time.
DEFAULT_EVENT_LOG = EventLog()
