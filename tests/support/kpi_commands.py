"""The commands the app sends to the KPI collections, whole, with pymongo's command monitoring:
what `tests/system/test_shard_keys.py` reads their filters from."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.commands_started import Started, commands_started

KPI_COLLECTIONS = frozenset({"kpi_entries", "kpi_rollups"})


def target(command: dict[str, Any]) -> Any:
    """The collection a collection command names (its first field's value)."""
    return command[next(iter(command))]


def collection_commands(bulk: dict[str, Any]) -> list[dict[str, Any]]:
    """A client-level bulkWrite as the collection commands of its operations, one each."""
    collections = [info["ns"].split(".", 1)[1] for info in bulk["nsInfo"]]
    commands: list[dict[str, Any]] = []
    for op in bulk["ops"]:
        if "insert" in op:
            commands.append({"insert": collections[op["insert"]], "documents": [op["document"]]})
        elif "update" in op:
            commands.append({"update": collections[op["update"]], "updates": [{"q": op["filter"]}]})
        else:
            commands.append({"delete": collections[op["delete"]], "deletes": [{"q": op["filter"]}]})
    return commands


def on_kpi_collections(started: Started) -> list[dict[str, Any]]:
    """The commands `started` sends to the KPI collections (a client-level bulkWrite is one
    command for each of its operations)."""
    if started.name == "bulkWrite":
        commands = collection_commands(started.command)
    else:
        commands = [started.command]
    return [command for command in commands if target(command) in KPI_COLLECTIONS]


@contextmanager
def kpi_commands() -> Iterator[list[dict[str, Any]]]:
    """The commands sent to the KPI collections while the block runs, there once it ends."""
    seen: list[dict[str, Any]] = []
    with commands_started() as started:
        yield seen
    seen += [command for each in started for command in on_kpi_collections(each)]


def opens_a_change_stream(command: dict[str, Any]) -> bool:
    """Whether `command` is an aggregate opening a change stream (it selects no documents)."""
    pipeline = command.get("pipeline") or [{}]
    return next(iter(command)) == "aggregate" and "$changeStream" in pipeline[0]


def filters_of(command: dict[str, Any]) -> list[dict[str, Any]]:
    """The filters a command selects documents with: a find's, each update's and delete's, a
    findAndModify's, and an aggregate's first `$match` with those of its `$unionWith`s and
    `$lookup`s on a KPI collection."""
    name = next(iter(command))
    if name == "find":
        return [command.get("filter", {})]
    if name == "update":
        return [update["q"] for update in command["updates"]]
    if name == "delete":
        return [delete["q"] for delete in command["deletes"]]
    if name in ("findAndModify", "count", "distinct"):
        return [command.get("query", {})]
    if name == "aggregate":
        return pipeline_filters(command["pipeline"])
    return []


def pipeline_filters(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipeline's leading `$match` stages as one filter (MongoDB merges adjacent `$match`
    stages before mongos routes the pipeline: the app splits some for the embedded database's
    planner), and those of its joins on a KPI collection."""
    leading = []
    for stage in pipeline:
        if "$match" not in stage:
            break
        leading.append(stage["$match"])
    found = [leading[0] if len(leading) == 1 else {"$and": leading} if leading else {}]
    for stage in pipeline:
        joined = stage.get("$unionWith") or stage.get("$lookup")
        if isinstance(joined, dict) and joined.get("coll", joined.get("from")) in KPI_COLLECTIONS:
            found += pipeline_filters(joined.get("pipeline", []))
    return found


def carries(field: str, query: dict[str, Any]) -> bool:
    """Whether every document `query` selects has `field` given: at its top, or in each branch
    of an `$or`, or in one part of an `$and`."""
    if field in query:
        return True
    if any(carries(field, part) for part in query.get("$and", [])):
        return True
    branches = query.get("$or", [])
    return bool(branches) and all(carries(field, branch) for branch in branches)


def shape(command: dict[str, Any], query: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    """(command, collection, the filter's fields, sorted): how a query is told apart."""
    name = next(iter(command))
    return name, command[name], tuple(sorted(fields_of(query)))


def fields_of(query: dict[str, Any]) -> set[str]:
    """The fields a filter names, at its top or in the parts of its `$and`."""
    parts = query.get("$and", [])
    return {field for field in query if field != "$and"} | {f for p in parts for f in fields_of(p)}
