"""The floors, read from the code: no module imports a package above its own.

schema/rest_compat -> edge -> resolvers -> contract -> infra -> models, and rpai (the shell)
above them all. Every import of every module counts, at any depth (a function's own imports
too), so a deferred import cannot hide an upward arrow.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "infra", "contract", "resolvers", "edge", "schema", "rest_compat", "rpai")
TRANSPORTS = frozenset({"schema", "rest_compat"})
# What each package must not import (the shell, rpai, may import anything).
FORBIDDEN: dict[str, frozenset[str]] = {
    # The two transports sit side by side: REST never goes through GraphQL, nor the reverse.
    "schema": frozenset({"rest_compat", "rpai"}),
    "rest_compat": frozenset({"schema", "rpai"}),
    "edge": TRANSPORTS | {"resolvers", "rpai"},
    "resolvers": TRANSPORTS | {"edge", "rpai"},
    "contract": TRANSPORTS | {"resolvers", "edge", "rpai"},
    "infra": TRANSPORTS | {"contract", "resolvers", "edge", "rpai"},
    "models": frozenset(PACKAGES) - {"models"},
    "rpai": frozenset(),
}
# Known upward imports being moved away, as (module path, imported package). Empty the day
# each move lands; an entry that no longer matches an import fails the suite.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def imported_packages(source: str, package: str) -> set[str]:
    """The top-level packages a module's source imports (a relative import stays in its own)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(package if node.level else (node.module or "").partition(".")[0])
    return found


def violations(source: str, package: str) -> set[str]:
    return imported_packages(source, package) & FORBIDDEN[package]


def all_violations() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT).as_posix()
            found.update((module, bad) for bad in violations(path.read_text(), package))
    return found


def test_every_package_has_its_rule() -> None:
    assert set(FORBIDDEN) == set(PACKAGES)
    assert all(any((ROOT / package).rglob("*.py")) for package in PACKAGES)


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("edge", "from resolvers import stores", {"resolvers"}),
        ("edge", "def f():\n    import schema.errors\n", {"schema"}),
        ("infra", "from contract.errors import AppError", {"contract"}),
        ("models", "from infra import metrics", {"infra"}),
        ("models", "from . import clock\nfrom models.clock import utcnow", set()),
        ("resolvers", "from contract import messages\nimport infra.metrics", set()),
        ("schema", "from rest_compat import errors", {"rest_compat"}),
        ("rest_compat", "from edge.context import request_context", set()),
    ],
)
def test_an_upward_import_is_found(package: str, source: str, expected: set[str]) -> None:
    assert violations(source, package) == expected


def test_no_package_imports_one_above_it() -> None:
    assert all_violations() - ALLOWED == set()


def test_allowed_upward_imports_still_exist() -> None:
    """A move that landed takes its entry out of ALLOWED, so none comes back unseen."""
    assert ALLOWED - all_violations() == set()
