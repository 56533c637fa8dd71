"""The integrator reference in docs/ covers the API that runs: every REST operation, every
GraphQL operation and every permission, in both languages; the CHANGELOG names the version the
OpenAPI document announces; the webhook guide's receiver verifies what the platform sends."""

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import pytest

from contract.permissions import ALL_PERMISSIONS
from contract.representations import event_json
from edge.paths import INTEGRATIONS_PREFIX
from infra.webhook_sender import WebhookSender, generate_secret
from models import Event
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


GUIDES = sorted((ROOT / "docs").glob("webhooks.*.md"))
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_webhook_guide_is_in_both_languages_and_linked() -> None:
    assert [path.name for path in GUIDES] == ["webhooks.en.md", "webhooks.fr.md"]
    readme = (ROOT / "README.md").read_text()
    for language in ("en", "fr"):
        assert f"docs/webhooks.{language}.md" in readme
        reference = (ROOT / "docs" / f"integrations-api.{language}.md").read_text()
        assert f"(webhooks.{language}.md)" in reference


@pytest.fixture(params=GUIDES, ids=[path.name for path in GUIDES])
def receiver(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """The guide's receiver, its code run as the guide gives it, serving on a free port: its
    URL, its secret and the events it handled."""
    [code] = PYTHON_BLOCK.findall(request.param.read_text())
    secret = generate_secret()
    monkeypatch.setenv("RPAI_WEBHOOK_SECRET", secret)
    module: dict[str, Any] = {"__name__": "receiver"}
    exec(compile(code, str(request.param), "exec"), module)  # the guide's own code
    handled: list[dict[str, Any]] = []
    module["handle"] = handled.append
    server = HTTPServer(("127.0.0.1", 0), module["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", secret, handled
    finally:
        server.shutdown()
        server.server_close()


async def test_the_guides_receiver_verifies_and_handles_each_event_once(
    receiver: tuple[str, str, list[dict[str, Any]]],
) -> None:
    url, secret, handled = receiver
    event = event_json(
        Event.model_construct(
            id="evt_6753c0ffee0123456789abcd",
            type="store.updated",
            created_at=datetime(2024, 1, 16, 8, 30, tzinfo=UTC),
            data={"object": {"id": "store-1", "phone": "0144556677"}},
        )
    )
    sender = WebhookSender(timeout_seconds=10, allow_private=True)

    async def send(secrets: list[str]) -> int | None:
        attempt = await sender.send(
            url=url,
            event_id=event["id"],
            body=event,
            timestamp=datetime.now(UTC),
            signing_secrets=secrets,
        )
        return attempt.status_code

    # Signed by the rotated secret beside the one the receiver knows; then a retry.
    assert await send([generate_secret(), secret]) == 204
    assert await send([secret]) == 204
    assert handled == [event]
    assert await send([generate_secret()]) == 400  # another endpoint's secret
    assert handled == [event]
