"""The commands any client starts while a block runs, whole, with pymongo's command monitoring:
what the tests that read the app's queries (their filters, their plans) look at."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo import monitoring


@dataclass(frozen=True)
class Started:
    """A command as it was started: its name, its database and its body (a copy)."""

    name: str
    database: str
    command: dict[str, Any]


class StartedCommands(monitoring.CommandListener):
    """Every command started while it listens, by any client."""

    def __init__(self) -> None:
        self.listening = False
        self.seen: list[Started] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.listening:
            self.seen.append(Started(event.command_name, event.database_name, dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        del event

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        del event


listener = StartedCommands()
monitoring.register(listener)


@contextmanager
def commands_started() -> Iterator[list[Started]]:
    """The commands started while the block runs (clients made after this module's import)."""
    listener.seen, listener.listening = [], True
    try:
        yield listener.seen
    finally:
        listener.listening = False
