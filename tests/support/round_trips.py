"""Counting the commands the app sends to MongoDB, with pymongo's command monitoring."""

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import monitoring

IGNORED = frozenset({"endSessions", "hello", "isMaster", "ismaster"})


class CommandCounter(monitoring.CommandListener):
    """Records (database, command name, collection) of every command started by any client."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in IGNORED:
            target = event.command.get(event.command_name)
            self.commands.append(
                (event.database_name, event.command_name, target if isinstance(target, str) else "")
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        del event

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        del event


counter = CommandCounter()
monitoring.register(counter)


@contextmanager
def commands_on(database: str) -> Iterator[list[tuple[str, str]]]:
    """The (command, collection) pairs sent to `database` while the block runs."""
    start = len(counter.commands)
    seen: list[tuple[str, str]] = []
    yield seen
    seen.extend((name, target) for db, name, target in counter.commands[start:] if db == database)
