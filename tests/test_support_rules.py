"""The tests' own layout: a test module imports helpers from `tests.support`, never another
test module or a conftest (pytest loads those itself; importing one runs its tests' module a
second time and hides where a helper lives)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module a file imports, by its dotted name (`from a.b import c` gives `a.b` and
    `a.b.c`, since `c` may be a module)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def imports_a_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)}: {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in imported_modules(ast.parse(path.read_text(), str(path)))
        if imports_a_test_module(name)
    ]
    assert not offenders, "import these from tests.support instead:\n" + "\n".join(offenders)
