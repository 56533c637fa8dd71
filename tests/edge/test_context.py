"""The request context is built once and never rewritten; each fact of the request's outcome
has one writer."""

import ast
import dataclasses
from pathlib import Path

import pytest

from contract.errors import RefusedKey, Unauthenticated
from edge.context import RequestContext
from edge.outcome import RequestOutcome
from edge.paths import Transport

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("infra", "contract", "resolvers", "edge", "schema", "rest_compat", "rpai")
# Who writes what the request did: the one layer that learns it.
OUTCOME_WRITERS = {
    "operation": {"schema/audit.py"},
    "refusal": {"rest_compat/errors.py", "schema/errors.py"},
    # One writer a transport: GraphQL's Secret extension, REST's webhook-secret answers.
    "secrets": {"schema/secrets.py", "rest_compat/webhook_endpoints.py"},
}


def modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(ROOT).as_posix(): ast.parse(path.read_text())
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def called(tree: ast.Module, name: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
        for node in ast.walk(tree)
    )


def outcome_writes(tree: ast.Module) -> set[str]:
    """The outcome's facts a module writes: `request_outcome(…).<fact> = …` or `.append(…)`."""
    written: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            targets = [node.func.value]
        for target in targets:
            if isinstance(target, ast.Attribute) and called(
                ast.Module(body=[ast.Expr(target.value)], type_ignores=[]), "request_outcome"
            ):
                written.add(target.attr)
    return written


def test_only_the_authentication_step_sets_the_context() -> None:
    setters = {name for name, tree in modules().items() if called(tree, "set_request_context")}
    assert setters == {"edge/authentication.py"}


def test_each_fact_of_the_outcome_has_its_one_writer() -> None:
    writers: dict[str, set[str]] = {fact: set() for fact in OUTCOME_WRITERS}
    for name, tree in modules().items():
        for fact in outcome_writes(tree):
            writers.setdefault(fact, set()).add(name)
    assert writers == OUTCOME_WRITERS
    assert set(OUTCOME_WRITERS) == {f.name for f in dataclasses.fields(RequestOutcome)}


def test_the_context_cannot_be_changed() -> None:
    context = RequestContext(request_id="r1", transport=Transport.REST, client_ip=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.actor = None  # type: ignore[misc]


def test_a_refused_key_is_named_by_its_value() -> None:
    key = RefusedKey(id="key_1", gerant_id="g1", prefix="sk_live_abcd")
    outcome = RequestOutcome(refusal=Unauthenticated("inactive", "inactive_key", key))
    assert outcome.refused_key == key
    assert RequestOutcome().refused_key is None
