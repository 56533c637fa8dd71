"""Counting the commands the app sends to MongoDB, with pymongo's command monitoring."""

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import monitoring

IGNORED = frozenset({"endSessions", "hello", "isMaster", "ismaster"})


def opens_a_change_stream(event: monitoring.CommandStartedEvent) -> bool:
    pipeline = event.command.get("pipeline") or []
    return event.command_name == "aggregate" and any("$changeStream" in s for s in pipeline)


def database_of(event: monitoring.CommandStartedEvent) -> str:
    """The database a command works on: a client-level bulkWrite is sent to `admin`, and
    writes in the databases its namespaces name (here always one)."""
    if event.command_name == "bulkWrite":
        return str(event.command["nsInfo"][0]["ns"].split(".", 1)[0])
    return event.database_name


class CommandCounter(monitoring.CommandListener):
    """Records (database, command name, collection) of every command started by any client,
    except change-stream traffic (the key directory's, in the background, not any request's)."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str, str]] = []
        self.stream_requests: set[int] = set()
        self.stream_cursors: set[int] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if opens_a_change_stream(event):
            self.stream_requests.add(event.request_id)
            return
        if event.command_name == "getMore" and event.command["getMore"] in self.stream_cursors:
            return
        if event.command_name not in IGNORED:
            target = event.command.get(event.command_name)
            self.commands.append(
                (database_of(event), event.command_name, target if isinstance(target, str) else "")
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.request_id in self.stream_requests:
            self.stream_cursors.add(event.reply["cursor"]["id"])

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
