"""The README stays true: its configuration table names every setting, and its curl and GraphQL
examples run as written against a real `rpai serve`."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from rpai.settings import Settings
from tests.support.cli import environment
from tests.support.servers import subprocess_server

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
DOCUMENTED_ADDRESS = "http://127.0.0.1:8000"
# Run before the examples: curl fails on an HTTP error (printing the body) and on a GraphQL
# answer with errors, and ends each body with a newline so every answer is one line.
CHECKED_CURL = r"""
set -euo pipefail
curl() {
    local body
    body=$(command curl --fail-with-body "$@") || { echo "$body" >&2; return 1; }
    case "$body" in *'"errors"'*) echo "GraphQL errors: $body" >&2; return 1 ;; esac
    printf '%s\n' "$body"
}
"""


def environment_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.append(alias if isinstance(alias, str) else f"RPAI_{name.upper()}")
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in environment_names() if f"`{name}`" not in table]
    assert missing == []


def first_call_blocks() -> list[str]:
    """The bash blocks of the walkthrough, in order."""
    section = README.read_text().split("## First call", 1)[1].split("\n## ", 1)[0]
    return BASH_BLOCK.findall(section)


def test_every_curl_and_graphql_example_is_in_the_walkthrough() -> None:
    walkthrough = first_call_blocks()
    everywhere = BASH_BLOCK.findall(README.read_text())
    with_calls = [block for block in everywhere if "curl " in block or "/graphql" in block]
    assert len(walkthrough) >= 3
    assert with_calls == [block for block in walkthrough if block in with_calls]
    assert all(block in walkthrough for block in with_calls)


def answers(output: str) -> list[Any]:
    return [json.loads(line) for line in output.splitlines() if line.startswith(("{", "["))]


def test_the_walkthrough_runs_against_a_server(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    with subprocess_server(data, log) as base:
        script = CHECKED_CURL + "\n".join(first_call_blocks()).replace(DOCUMENTED_ADDRESS, base)
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=ROOT,
            env=environment(data),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr + log.read_text()
    gerant, me, manager, seller, synced, users, reconciled, updated, *over_graphql = answers(
        result.stdout
    )
    stores, synced_over_graphql, users_over_graphql, entries, chain, *persisted = over_graphql
    assert gerant["email"] == "alice@example.com"
    assert me["key"]["name"] == "Caisse Lyon"
    assert (manager["manager"]["external_id"], seller["seller"]["external_id"]) == (
        "MANAGER-001",
        "SELLER-001",
    )
    assert synced == {"status": "success", "entries_created": 1, "entries_updated": 0, "total": 1}
    assert [user["id"] for user in users["users"]] == [seller["seller_id"]]
    assert reconciled["days"][0]["ca_total"] == "1250.50"
    assert updated["store"]["phone"] == "0472000000"
    assert stores["data"]["stores"][0]["externalId"] == "LYON-001"
    assert synced_over_graphql["data"]["syncKpis"]["entriesCreated"] == 1
    [edge] = users_over_graphql["data"]["users"]["edges"]
    assert edge["node"]["externalId"] == "SELLER-001"
    amounts = [edge["node"]["caJournalier"] for edge in entries["data"]["kpiEntries"]["edges"]]
    assert amounts == ["1250.50", "980.25"]
    # GraphQL for the frontend: the chain in one nested query, then a persisted query.
    [store] = chain["data"]["stores"]
    assert store["managers"]["edges"] == [{"node": {"name": "Jean Dupont", "role": "MANAGER"}}]
    [marie] = [edge["node"] for edge in store["sellers"]["edges"]]
    assert marie == {
        "name": "Marie Martin",
        "externalId": "SELLER-001",
        "manager": {"name": "Jean Dupont"},
        "kpiSummary": [{"ca": "2230.75", "nbVentes": 20, "panierMoyen": "111.54"}],
    }
    assert [(row["label"], row["ca"]) for row in store["kpiSummary"]] == [
        ("lundi 15 janvier 2024", "1250.50"),
        ("mardi 16 janvier 2024", "980.25"),
    ]
    assert [answer["data"] for answer in persisted] == [
        {"stores": [{"name": "Magasin Lyon Centre"}]}
    ] * 2
