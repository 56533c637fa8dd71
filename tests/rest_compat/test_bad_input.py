"""Hostile or malformed input on every REST endpoint: always a clean 4xx, never a 500."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from contract import messages
from edge.body_limit import MAX_BODY_BYTES
from models import Role, Store, User
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.transport import rest

pytestmark = pytest.mark.usefixtures("client")

TOO_LARGE = {"detail": messages.BODY_TOO_LARGE}
CHUNK = 64 * 1024
# Every route, with `{store}` / `{user}` standing for an id of the test world.
ROUTES = [
    ("GET", "/api/integrations/me"),
    ("GET", "/api/integrations/stores"),
    ("POST", "/api/integrations/stores"),
    ("DELETE", "/api/integrations/stores/{store}"),
    ("POST", "/api/integrations/stores/{store}/managers"),
    ("POST", "/api/integrations/stores/{store}/sellers"),
    ("PUT", "/api/integrations/users/{user}"),
    ("DELETE", "/api/integrations/users/{user}"),
    ("POST", "/api/integrations/kpi/sync"),
    ("POST", "/graphql"),
]
ROUTES_WITH_BODY = [(method, path) for method, path in ROUTES if method in ("POST", "PUT")]
ODD_IDS = {
    "very long": "x" * 5000,
    "unicode": "магазин-☃-😀",
    "operator name": "$where",
    "operator document as text": '{"$ne": 1}',
    "regex": ".*",
    "nul byte": "a\x00b",
}
# An operator document, and a list of them (where `kpi_entries` wants entry objects).
OPERATORS: list[Any] = [{"$ne": 1}, [{"$gt": ""}]]


@dataclass(frozen=True)
class World:
    store: Store
    manager: User
    seller: User
    key: str

    def path(self, template: str) -> str:
        return template.format(store=self.store.id, user=self.seller.id)

    def bodies(self) -> dict[str, dict[str, Any]]:
        """A valid body of each endpoint that takes one, by path template."""
        entry = {
            "seller_id": self.seller.id,
            "ca_journalier": 1.5,
            "nb_ventes": 1,
            "nb_articles": 1,
        }
        return {
            "/api/integrations/stores": {"name": "Lyon", "location": "69001 Lyon"},
            "/api/integrations/stores/{store}/managers": {"name": "Jean", "email": "j@example.com"},
            "/api/integrations/stores/{store}/sellers": {
                "name": "Marie",
                "email": "m@example.com",
                "manager_id": self.manager.id,
            },
            "/api/integrations/users/{user}": {"name": "Marie M."},
            "/api/integrations/kpi/sync": {
                "store_id": self.store.id,
                "date": "2024-01-15",
                "kpi_entries": [entry],
            },
        }


@pytest.fixture
async def world() -> World:
    gerant = await make_gerant()
    store = await make_store(gerant)
    manager = await make_user(gerant, Role.MANAGER, store)
    seller = await make_user(gerant, Role.SELLER, store)
    return World(store, manager, seller, await make_key(gerant))


def with_field(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """`body` with `field` set to `value`; `kpi_entries.<name>` sets it in the first entry."""
    if field.startswith("kpi_entries."):
        name = field.removeprefix("kpi_entries.")
        return {**body, "kpi_entries": [{**body["kpi_entries"][0], name: value}]}
    return {**body, field: value}


def too_large(path: str, response: httpx.Response) -> bool:
    """Whether `response` is the 413 refusal in the shape of the API `path` belongs to."""
    if path != "/graphql":
        return (response.status_code, response.json()) == (413, TOO_LARGE)
    [error] = response.json()["errors"]
    return (response.status_code, error["message"], error["extensions"]) == (
        200,
        TOO_LARGE["detail"],
        {"code": "PAYLOAD_TOO_LARGE", "status": 413},
    )


async def chunks(size: int) -> AsyncIterator[bytes]:
    """`size` bytes of a JSON string, streamed without Content-Length."""
    yield b'{"name": "'
    for _ in range(size // CHUNK):
        yield b"x" * CHUNK
    yield b'"}'


class TestBodySize:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_a_declared_body_over_1_mib_is_413(
        self, client: httpx.AsyncClient, world: World, method: str, path: str
    ) -> None:
        response = await client.request(
            method,
            world.path(path),
            content=b" " * (MAX_BODY_BYTES + 1),
            headers={"X-API-Key": world.key, "Content-Type": "application/json"},
        )
        assert too_large(path, response)

    @pytest.mark.parametrize(("method", "path"), ROUTES_WITH_BODY)
    async def test_a_streamed_body_over_1_mib_is_413(
        self, client: httpx.AsyncClient, world: World, method: str, path: str
    ) -> None:
        response = await client.request(
            method,
            world.path(path),
            content=chunks(MAX_BODY_BYTES + CHUNK),
            headers={"X-API-Key": world.key, "Content-Type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert too_large(path, response)

    @pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
    async def test_a_body_of_exactly_1_mib_is_read(
        self, client: httpx.AsyncClient, world: World, streamed: bool
    ) -> None:
        body = b'{"name": "Lyon", "location": "69001 Lyon"}'
        padded = body + b" " * (MAX_BODY_BYTES - len(body))

        async def stream() -> AsyncIterator[bytes]:
            yield padded

        response = await client.post(
            "/api/integrations/stores",
            content=stream() if streamed else padded,
            headers={"X-API-Key": world.key, "Content-Type": "application/json"},
        )
        assert response.status_code == 200


class TestOddIds:
    @pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{" in r[1]])
    async def test_in_the_path_are_not_found(
        self, client: httpx.AsyncClient, world: World, method: str, path: str
    ) -> None:
        body = world.bodies().get(path)
        for name, odd in ODD_IDS.items():
            odd_path = path.format(store=quote(odd, safe=""), user=quote(odd, safe=""))
            outcome = await rest(client, method, api(odd_path), world.key, body)
            assert outcome.status in (400, 404), (name, outcome)

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/api/integrations/kpi/sync", "store_id"),
            ("/api/integrations/kpi/sync", "kpi_entries.seller_id"),
            ("/api/integrations/stores/{store}/sellers", "manager_id"),
        ],
    )
    async def test_in_the_body_are_refused(
        self, client: httpx.AsyncClient, world: World, path: str, field: str
    ) -> None:
        for name, odd in ODD_IDS.items():
            body = with_field(world.bodies()[path], field, odd)
            outcome = await rest(client, "POST", api(world.path(path)), world.key, body)
            assert outcome.status in (400, 404), (name, outcome)


# The fields of each body that take a scalar (a string, number, boolean) or a list of objects.
SCALAR_FIELDS = {
    "/api/integrations/stores": [
        "name",
        "location",
        "address",
        "phone",
        "opening_hours",
        "external_id",
    ],
    "/api/integrations/stores/{store}/managers": [
        "name",
        "email",
        "phone",
        "external_id",
        "send_invitation",
    ],
    "/api/integrations/stores/{store}/sellers": [
        "name",
        "email",
        "phone",
        "external_id",
        "send_invitation",
        "manager_id",
    ],
    "/api/integrations/users/{user}": ["name", "phone", "status", "external_id"],
    "/api/integrations/kpi/sync": [
        "store_id",
        "date",
        "source",
        "kpi_entries",
        "kpi_entries.seller_id",
        "kpi_entries.ca_journalier",
        "kpi_entries.nb_ventes",
        "kpi_entries.nb_articles",
        "kpi_entries.prospects",
        "kpi_entries.timestamp",
    ],
}
BOUNDED_FIELDS = {
    "/api/integrations/stores": {
        "name": 200,
        "location": 200,
        "address": 500,
        "phone": 50,
        "opening_hours": 500,
        "external_id": 200,
    },
    "/api/integrations/stores/{store}/managers": {"name": 200, "phone": 50, "external_id": 200},
    "/api/integrations/stores/{store}/sellers": {
        "name": 200,
        "phone": 50,
        "external_id": 200,
        "manager_id": 200,
    },
    "/api/integrations/users/{user}": {"name": 200, "phone": 50, "external_id": 200},
    "/api/integrations/kpi/sync": {"store_id": 200, "source": 100, "kpi_entries.seller_id": 200},
}


def api(path: str) -> str:
    return path.removeprefix("/api/integrations")


def method_of(path: str) -> str:
    return "PUT" if path.startswith("/api/integrations/users") else "POST"


def located(field: str) -> str:
    """How error messages name `field`: `kpi_entries[0].seller_id` for an entry's."""
    return field.replace("kpi_entries.", "kpi_entries[0].")


@pytest.mark.parametrize("path", SCALAR_FIELDS)
async def test_an_operator_where_a_value_is_expected_is_400(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    for field in SCALAR_FIELDS[path]:
        for operator in OPERATORS:
            body = with_field(world.bodies()[path], field, operator)
            outcome = await rest(client, method_of(path), api(world.path(path)), world.key, body)
            assert outcome.status == 400, (field, operator, outcome)
            assert outcome.detail is not None
            assert outcome.detail.startswith(located(field)), (field, operator, outcome)


@pytest.mark.parametrize("path", BOUNDED_FIELDS)
async def test_strings_are_bounded(client: httpx.AsyncClient, world: World, path: str) -> None:
    for field, limit in BOUNDED_FIELDS[path].items():
        body = with_field(world.bodies()[path], field, "x" * (limit + 1))
        outcome = await rest(client, method_of(path), api(world.path(path)), world.key, body)
        assert (outcome.status, outcome.detail) == (
            400,
            f"{located(field)}: String should have at most {limit} characters",
        ), field


@pytest.mark.parametrize("path", ["/stores/{store}/managers", "/stores/{store}/sellers"])
async def test_emails_are_bounded(client: httpx.AsyncClient, world: World, path: str) -> None:
    email = "a@" + "b" * 250 + ".com"
    outcome = await rest(
        client, "POST", world.path(path), world.key, {"name": "Jean", "email": email}
    )
    assert outcome.status == 400, outcome
    assert outcome.detail is not None
    assert outcome.detail.startswith("email: value is not a valid email address")


# Line breaks (CR LF, LF, NEL, U+2028), NUL, ESC, DEL and tab: none belongs in a one-line text.
CONTROLS = ["\r\n", "\n", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\t"]


@pytest.mark.parametrize("path", BOUNDED_FIELDS)
async def test_control_characters_in_names_and_texts_are_400(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    for field in BOUNDED_FIELDS[path]:
        for control in CONTROLS:
            body = with_field(world.bodies()[path], field, f"Evil{control}Bcc: x@example.com")
            outcome = await rest(client, method_of(path), api(world.path(path)), world.key, body)
            assert (outcome.status, outcome.detail) == (
                400,
                f"{located(field)}: {messages.CONTROL_CHARACTERS}",
            ), (field, control)


async def test_a_trailing_line_break_is_refused_not_trimmed(
    client: httpx.AsyncClient, world: World
) -> None:
    outcome = await rest(client, "POST", "/stores", world.key, {"name": "Lyon\n", "location": "L"})
    assert (outcome.status, outcome.detail) == (400, f"name: {messages.CONTROL_CHARACTERS}")


@pytest.mark.parametrize("query", ["/stores?external_id=A%0D%0AB", "/users?external_id=A%1BB"])
async def test_control_characters_in_query_filters_are_400(
    client: httpx.AsyncClient, world: World, query: str
) -> None:
    outcome = await rest(client, "GET", query, world.key)
    assert (outcome.status, outcome.detail) == (400, f"external_id: {messages.CONTROL_CHARACTERS}")
