"""When a failed webhook delivery is tried again: a schedule of delays in seconds."""

import re
from collections.abc import Sequence

DEFAULT_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
_SECONDS = re.compile(r"[0-9]+")


def parse_retry_schedule(text: str) -> tuple[int, ...]:
    """Comma-separated positive whole seconds, e.g. "5,300,1800", as a tuple; raises ValueError
    on an empty schedule or an item that is not a positive integer."""
    delays = []
    for position, item in enumerate(text.split(","), start=1):
        item = item.strip()
        if not _SECONDS.fullmatch(item) or int(item) == 0:
            raise ValueError(
                f"retry schedule item {position} ({item!r}) is not a positive number of seconds"
            )
        delays.append(int(item))
    return tuple(delays)


def next_attempt_delay(schedule: Sequence[int], attempt: int) -> int | None:
    """Seconds to wait after failed attempt number `attempt` (1 is the first, sent at once)
    before the next one; None once the schedule is spent."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if attempt > len(schedule):
        return None
    return schedule[attempt - 1]
