"""The integrator reference in docs/ covers the API that runs: every REST operation, every
GraphQL operation and every permission, in both languages; the CHANGELOG names the version the
OpenAPI document announces."""

import re
from pathlib import Path

import pytest

from contract.permissions import ALL_PERMISSIONS
from edge.paths import INTEGRATIONS_PREFIX
from rpai.app import VERSION, create_app
from schema import schema

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = sorted((ROOT / "docs").glob("integrations-api.*.md"))
DOCUMENT = create_app().openapi()
GRAPHQL = schema._schema


def rest_operations() -> list[str]:
    return [
        f"{method.upper()} {path.removeprefix(INTEGRATIONS_PREFIX)}"
        for path, operations in DOCUMENT["paths"].items()
        if path.startswith(INTEGRATIONS_PREFIX)
        for method in operations
    ]


def graphql_operations() -> list[str]:
    roots = [GRAPHQL.query_type, GRAPHQL.mutation_type, GRAPHQL.subscription_type]
    return [name for root in roots if root is not None for name in root.fields]


def test_both_languages_are_there() -> None:
    assert [path.name for path in REFERENCES] == [
        "integrations-api.en.md",
        "integrations-api.fr.md",
    ]


@pytest.mark.parametrize("reference", REFERENCES, ids=[path.name for path in REFERENCES])
def test_the_reference_covers_the_api(reference: Path) -> None:
    text = reference.read_text()
    assert [op for op in rest_operations() if f"`{op}`" not in text] == []
    assert [name for name in graphql_operations() if not re.search(rf"`{name}\b", text)] == []
    assert [p for p in ALL_PERMISSIONS if f"`{p}`" not in text] == []
    assert f"Version {VERSION}" in text


def test_the_changelog_starts_with_the_running_version() -> None:
    headings = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0] == DOCUMENT["info"]["version"] == VERSION
    assert headings[-1] == "1.0.0"
