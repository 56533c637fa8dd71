"""Live KPI updates over graphql-transport-ws, with a real websocket client on a real server:
authenticated in connection_init like a request, the same permission and scopes as kpiEntries,
every entry a sync writes within a second, and closed when the credentials stop holding."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from contract import messages
from edge.authentication import RECHECK_SECONDS
from infra.tokens import TokenSigner
from models import ApiKey, KpiEntry, Role, Store, User, UserStatus
from resolvers.kpi.feed import AWAIT_MS, RETRY_SECONDS
from rpai.settings import Settings
from tests.support.factories import make_gerant, make_key, make_store, make_user
from tests.support.live import (
    KPI_UPDATES,
    acknowledged,
    live,
    received,
    subscribe,
    websocket_url,
)
from tests.support.round_trips import commands_on
from tests.support.servers import in_process_listener
from tests.support.settings import TEST_JWT_SECRET

SIGNER = TokenSigner(secret=TEST_JWT_SECRET, ttl=timedelta(hours=1))
DAY = "2025-03-03"
DELIVERY_BOUND = 1.0  # seconds: the issue's promise
# A revoked credential is seen at the subscription's next check; allow for a busy machine.
REVOCATION_BOUND = RECHECK_SECONDS + 4


@dataclass
class Chain:
    base_url: str
    app: FastAPI
    gerant: User
    paris: Store
    lyon: Store
    manager: User  # Paris
    ana: User  # seller in Paris
    ben: User  # seller in Paris
    carl: User  # seller in Lyon
    writer: str  # a key that syncs


@asynccontextmanager
async def chain_on(settings: Settings) -> AsyncIterator[Chain]:
    """A server run with `settings`, and a chain of two stores and their staff on it."""
    async with in_process_listener(settings) as (base_url, app):
        gerant = await make_gerant()
        paris, lyon = await make_store(gerant, "Paris"), await make_store(gerant, "Lyon")
        manager = await make_user(gerant, Role.MANAGER, paris)
        ana = await make_user(gerant, Role.SELLER, paris)
        ben = await make_user(gerant, Role.SELLER, paris)
        carl = await make_user(gerant, Role.SELLER, lyon)
        writer = await make_key(gerant, ["kpi:write"])
        yield Chain(base_url, app, gerant, paris, lyon, manager, ana, ben, carl, writer)


@pytest.fixture
async def chain(settings: Settings) -> AsyncIterator[Chain]:
    async with chain_on(settings) as built:
        yield built


async def in_place(chain: Chain, subscriptions: int = 1) -> None:
    """Wait until the server holds the subscriptions and its feed follows the entries."""
    feed = chain.app.state.kpi_feed
    for _ in range(500):
        held = sum(len(tenant) for tenant in feed.subscribers.values())
        if held == subscriptions and feed.following.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscriptions are not in place")


async def subscribed(
    chain: Chain, socket: ClientConnection, variables: dict[str, Any] | None = None
) -> None:
    """Open the connection, subscribe, and wait until the subscription is in place."""
    await acknowledged(socket)
    await subscribe(socket, variables=variables)
    await in_place(chain)


async def sync(chain: Chain, store: Store, *sellers: tuple[User, str]) -> float:
    """Sync one day of `(seller, ca)` entries for `store` over REST; the time it answered."""
    body = {
        "store_id": store.id,
        "date": DAY,
        "kpi_entries": [
            {"seller_id": seller.id, "ca_journalier": ca, "nb_ventes": 2, "nb_articles": 5}
            for seller, ca in sellers
        ],
        "source": "caisse",
    }
    async with httpx.AsyncClient(base_url=chain.base_url) as http:
        response = await http.post(
            "/api/integrations/kpi/sync", json=body, headers={"X-API-Key": chain.writer}
        )
    assert response.status_code == 200, response.text
    return time.monotonic()


def update(store: Store, seller: User, ca: str) -> dict[str, Any]:
    return {
        "storeId": store.id,
        "sellerId": seller.id,
        "date": DAY,
        "caJournalier": ca,
        "nbVentes": 2,
        "nbArticles": 5,
        "prospects": 0,
        "source": "caisse",
    }


async def next_update(socket: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    message = await asyncio.wait_for(received(socket), timeout)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    found: dict[str, Any] = message["payload"]["data"]["kpiUpdates"]
    return found


async def nothing_more(socket: ClientConnection) -> None:
    """No message within a while (what should not arrive, would have by then)."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(socket.recv(), 1.5)


async def refused(socket: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The error that ends a subscription (after its complete message)."""
    message = await asyncio.wait_for(received(socket), timeout)
    if message["type"] == "next":
        [error] = message["payload"]["errors"]
        assert await asyncio.wait_for(received(socket), timeout) == {
            "id": message["id"],
            "type": "complete",
        }
    else:
        assert message["type"] == "error", message
        [error] = message["payload"]
    found: dict[str, Any] = error
    return found


async def refusal(socket: ClientConnection, timeout: float = 5) -> tuple[str, str]:
    """The code and message of the error that ends a subscription."""
    error = await refused(socket, timeout)
    return error["extensions"]["code"], error["message"]


async def closed_with(socket: ClientConnection) -> tuple[int, str]:
    """The close code and reason the server ended the connection with."""
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(received(socket), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


class TestDelivery:
    async def test_a_key_follows_its_stores_within_a_second(self, chain: Chain) -> None:
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await subscribed(chain, socket, variables={"s": [chain.paris.id]})
            await sync(chain, chain.lyon, (chain.carl, "30.00"))
            written = await sync(chain, chain.paris, (chain.ana, "1250.5"), (chain.ben, "0.10"))
            first = await next_update(socket)
            delay = time.monotonic() - written
            second = await next_update(socket)
            assert sorted([first, second], key=lambda u: u["caJournalier"]) == [
                update(chain.paris, chain.ben, "0.10"),
                update(chain.paris, chain.ana, "1250.50"),
            ]
            assert delay < DELIVERY_BOUND
            await sync(chain, chain.paris, (chain.ana, "99.99"))  # an update, not an insert
            assert await next_update(socket) == update(chain.paris, chain.ana, "99.99")

    async def test_without_stores_every_readable_store_and_never_another_tenant(
        self, chain: Chain
    ) -> None:
        restricted = await make_key(chain.gerant, ["kpi:read"], [chain.lyon.id])
        other = await make_gerant()
        other_store = await make_store(other)
        other_seller = await make_user(other, Role.SELLER, other_store)
        other_writer = await make_key(other, ["kpi:write"])
        async with live(chain.base_url, {"Authorization": f"Bearer {restricted}"}) as socket:
            await subscribed(chain, socket)
            await sync(chain, chain.paris, (chain.ana, "1.00"))
            async with httpx.AsyncClient(base_url=chain.base_url) as http:
                response = await http.post(
                    "/api/integrations/kpi/sync",
                    headers={"X-API-Key": other_writer},
                    json={
                        "store_id": other_store.id,
                        "date": DAY,
                        "kpi_entries": [
                            {
                                "seller_id": other_seller.id,
                                "ca_journalier": 5,
                                "nb_ventes": 1,
                                "nb_articles": 1,
                            }
                        ],
                    },
                )
                assert response.status_code == 200
            await sync(chain, chain.lyon, (chain.carl, "3.00"))
            assert await next_update(socket) == update(chain.lyon, chain.carl, "3.00")
            await nothing_more(socket)

    async def test_a_manager_follows_his_store_and_a_seller_himself(self, chain: Chain) -> None:
        manager = SIGNER.issue(chain.manager).token
        seller = SIGNER.issue(chain.ana).token
        async with (
            live(chain.base_url, {"Authorization": f"Bearer {manager}"}) as of_manager,
            live(chain.base_url, {"Authorization": f"Bearer {seller}"}) as of_seller,
        ):
            for socket in (of_manager, of_seller):
                await acknowledged(socket)
                await subscribe(socket)
            await in_place(chain, 2)
            await sync(chain, chain.lyon, (chain.carl, "3.00"))
            await sync(chain, chain.paris, (chain.ben, "2.00"))
            await sync(chain, chain.paris, (chain.ana, "1.00"))
            assert await next_update(of_manager) == update(chain.paris, chain.ben, "2.00")
            assert await next_update(of_manager) == update(chain.paris, chain.ana, "1.00")
            assert await next_update(of_seller) == update(chain.paris, chain.ana, "1.00")
            await nothing_more(of_seller)


class TestFeed:
    async def test_entries_are_read_only_while_someone_subscribes(
        self, chain: Chain, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every process would otherwise read and decode every entry any process writes."""
        feed = chain.app.state.kpi_feed
        read: list[str] = []
        apply = feed._apply

        async def counted(change: dict[str, Any]) -> None:
            read.append(change["documentKey"]["_id"])
            await apply(change)

        monkeypatch.setattr(feed, "_apply", counted)
        quiet = 2 * AWAIT_MS / 1000
        await sync(chain, chain.paris, (chain.ana, "1.00"))
        await asyncio.sleep(quiet)
        assert (read, feed.following.is_set()) == ([], False)

        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await subscribed(chain, socket)
            await sync(chain, chain.paris, (chain.ana, "2.00"))
            assert (await next_update(socket))["caJournalier"] == "2.00"
        assert len(read) == 1

        await asyncio.sleep(quiet)  # the last subscriber left: the stream is closed
        await sync(chain, chain.paris, (chain.ana, "3.00"))
        await asyncio.sleep(quiet)
        assert (len(read), feed.following.is_set()) == (1, False)

    async def test_a_stream_ended_by_the_server_is_opened_again(self, chain: Chain) -> None:
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await subscribed(chain, socket)
            await KpiEntry.get_motor_collection().drop()  # ends every stream on the entries
            await asyncio.sleep(RETRY_SECONDS + 2 * AWAIT_MS / 1000)
            await in_place(chain)
            await sync(chain, chain.paris, (chain.ana, "4.00"))
            assert (await next_update(socket))["caJournalier"] == "4.00"


class TestRefusals:
    @pytest.mark.parametrize(
        "payload",
        [
            None,
            {},
            {"X-API-Key": "sk_live_not_a_key"},
            {"Authorization": "Bearer not-a-session"},
            {"X-API-Key": 42},
        ],
        ids=["no payload", "empty", "malformed key", "bad session", "not a string"],
    )
    async def test_a_connection_without_a_caller_is_closed_as_forbidden(
        self, chain: Chain, payload: dict[str, Any] | None
    ) -> None:
        async with live(chain.base_url, payload) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await received(socket)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")

    async def test_the_rules_of_kpi_reads_apply(self, chain: Chain) -> None:
        without = await make_key(chain.gerant, ["stores:read"])
        restricted = await make_key(chain.gerant, ["kpi:read"], [chain.paris.id])
        manager = SIGNER.issue(chain.manager).token
        cases = [
            ({"X-API-Key": without}, None, "Insufficient permissions. Requires 'kpi:read'"),
            ({"X-API-Key": restricted}, [chain.lyon.id], messages.STORE_NOT_IN_KEY_SCOPE),
            (
                {"Authorization": f"Bearer {manager}"},
                [chain.lyon.id],
                messages.STORE_NOT_IN_USER_SCOPE,
            ),
        ]
        for payload, stores, message in cases:
            async with live(chain.base_url, payload) as socket:
                await acknowledged(socket)
                await subscribe(socket, variables={"s": stores})
                assert await refusal(socket) == ("FORBIDDEN", message)

    async def test_a_bad_store_list_is_a_400(self, chain: Chain) -> None:
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await acknowledged(socket)
            await subscribe(socket, variables={"s": []})
            code, message = await refusal(socket)
            assert (code, message) == (
                "BAD_REQUEST",
                "store_ids: List should have at least 1 item after validation, not 0",
            )

    @pytest.mark.parametrize("which", ["another tenant's", "unknown"])
    async def test_a_store_the_tenant_does_not_have_is_a_404(
        self, chain: Chain, which: str
    ) -> None:
        """It was a silent stream; another tenant's store looks exactly like an unknown one."""
        elsewhere = await make_store(await make_gerant(), "Ailleurs")
        store_id = elsewhere.id if which == "another tenant's" else f"store_{ObjectId()}"
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await acknowledged(socket)
            await subscribe(socket, variables={"s": [chain.paris.id, store_id]})
            assert await refusal(socket) == ("NOT_FOUND", messages.STORE_NOT_FOUND)
        restricted = await make_key(chain.gerant, ["kpi:read"], [chain.paris.id])
        async with live(chain.base_url, {"X-API-Key": restricted}) as socket:
            await acknowledged(socket)
            await subscribe(socket, variables={"s": [store_id]})
            assert await refusal(socket) == ("FORBIDDEN", messages.STORE_NOT_IN_KEY_SCOPE)

    @pytest.mark.parametrize(
        "store_id",
        ["not-a-store", "store_zzz", "user_65f1a2b3c4d5e6f708192a3b", 12],
        ids=["free text", "not an object id", "a user's id", "a number"],
    )
    async def test_a_malformed_store_id_is_a_400(self, chain: Chain, store_id: object) -> None:
        """It was a silent stream."""
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await acknowledged(socket)
            await subscribe(socket, variables={"s": [store_id]})
            assert await refusal(socket) == (
                "BAD_REQUEST",
                f"store_ids[0]: {messages.STORE_ID_MALFORMED}",
            )

    async def test_sessions_name_their_own_store(self, chain: Chain) -> None:
        """A seller reads no stores (stores:read), yet may name his own."""
        for user in (chain.manager, chain.ana):
            token = SIGNER.issue(user).token
            async with live(chain.base_url, {"Authorization": f"Bearer {token}"}) as socket:
                await subscribed(chain, socket, variables={"s": [chain.paris.id]})


class TestRevocation:
    async def test_a_deactivated_key_closes_its_subscriptions(self, chain: Chain) -> None:
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await subscribed(chain, socket)
            await sync(chain, chain.paris, (chain.ana, "1.00"))
            assert (await next_update(socket))["caJournalier"] == "1.00"
            await ApiKey.find({"gerant_id": chain.gerant.id, "permissions": ["kpi:read"]}).update(
                {"$set": {"active": False}}
            )
            assert await refusal(socket, REVOCATION_BOUND) == (
                "UNAUTHENTICATED",
                messages.INACTIVE_API_KEY,
            )

    async def test_a_suspended_users_session_closes_its_subscriptions(self, chain: Chain) -> None:
        token = SIGNER.issue(chain.manager).token
        async with live(chain.base_url, {"Authorization": f"Bearer {token}"}) as socket:
            await subscribed(chain, socket)
            await User.find_one({"_id": chain.manager.id}).update(
                {"$set": {"status": UserStatus.SUSPENDED.value}}
            )
            assert await refusal(socket, REVOCATION_BOUND) == (
                "UNAUTHENTICATED",
                messages.INVALID_SESSION,
            )

    async def test_a_sessions_checks_read_its_user_once_whatever_its_subscriptions(
        self, chain: Chain
    ) -> None:
        """Each subscription read the user at each check: 10 subscriptions, 10 reads a second."""
        tokens = [SIGNER.issue(chain.manager).token for _ in range(2)]
        async with (
            live(chain.base_url, {"Authorization": f"Bearer {tokens[0]}"}) as first,
            live(chain.base_url, {"Authorization": f"Bearer {tokens[1]}"}) as second,
        ):
            for socket in (first, second):
                await acknowledged(socket)
                for n in range(5):
                    await subscribe(socket, operation_id=str(n))
            await in_place(chain, 10)
            with commands_on(chain.app.state.database.name) as seen:
                await asyncio.sleep(2 * RECHECK_SECONDS)
        reads = [command for command in seen if command == ("find", "users")]
        assert 1 <= len(reads) <= 3, seen  # one per check, and 2 or 3 checks in the window


class TestConnectionLimits:
    async def test_refused_connections_count_with_the_addresss_failures(
        self, settings: Settings
    ) -> None:
        strict = settings.model_copy(update={"auth_failures_per_minute": 2})
        async with in_process_listener(strict) as (base_url, _):
            for _ in range(2):
                async with live(base_url, {"X-API-Key": "sk_live_not_a_key"}) as socket:
                    with pytest.raises(ConnectionClosed):
                        await received(socket)
            async with httpx.AsyncClient(base_url=base_url) as http:
                response = await http.get(
                    "/api/integrations/stores", headers={"X-API-Key": "sk_live_not_a_key"}
                )
        assert (response.status_code, response.json()) == (
            429,
            {"detail": messages.AUTH_FAILURES_LIMITED},
        )

    async def test_only_graphql_transport_ws_is_spoken(self, chain: Chain) -> None:
        legacy = [Subprotocol("graphql-ws")]
        async with connect(websocket_url(chain.base_url), subprotocols=legacy) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await socket.recv()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
            4406,
            "Subprotocol not acceptable",
        )

    async def test_a_caller_holds_at_most_its_connections(self, settings: Settings) -> None:
        """One seller's session opened 100 connections and slowed every other tenant."""
        capped = settings.model_copy(update={"subscription_connections_per_principal": 2})
        async with chain_on(capped) as chain:
            reader = await make_key(chain.gerant, ["kpi:read"])
            async with (
                live(chain.base_url, {"X-API-Key": reader}) as first,
                live(chain.base_url, {"X-API-Key": reader}) as second,
            ):
                for socket in (first, second):
                    await acknowledged(socket)
                async with live(chain.base_url, {"X-API-Key": reader}) as third:
                    assert await closed_with(third) == (
                        4429,
                        messages.CONNECTIONS_LIMITED.format(limit=2),
                    )
                token = SIGNER.issue(chain.manager).token
                async with live(chain.base_url, {"Authorization": f"Bearer {token}"}) as other:
                    await acknowledged(other)  # another caller is not concerned
            slots = chain.app.state.services.connection_slots
            for _ in range(500):  # the server sees the two close
                if not slots.held:
                    break
                await asyncio.sleep(0.01)
            async with live(chain.base_url, {"X-API-Key": reader}) as again:
                await acknowledged(again)

    async def test_a_caller_holds_at_most_its_subscriptions(self, settings: Settings) -> None:
        """Across its connections; the one over answers THROTTLED, and ending one makes room."""
        capped = settings.model_copy(update={"subscriptions_per_principal": 3})
        async with chain_on(capped) as chain:
            reader = await make_key(chain.gerant, ["kpi:read"])
            token = SIGNER.issue(chain.manager).token
            async with (
                live(chain.base_url, {"X-API-Key": reader}) as first,
                live(chain.base_url, {"X-API-Key": reader}) as second,
                live(chain.base_url, {"Authorization": f"Bearer {token}"}) as other,
            ):
                for socket in (first, second, other):
                    await acknowledged(socket)
                await subscribe(first, operation_id="1")
                await subscribe(first, operation_id="2")
                await subscribe(second, operation_id="1")
                await in_place(chain, 3)
                await subscribe(second, operation_id="2")
                error = await refused(second)
                assert (error["message"], error["extensions"]) == (
                    messages.SUBSCRIPTIONS_LIMITED.format(limit=3),
                    {"code": "THROTTLED", "status": 429, "retryAfter": 5},
                )
                await subscribe(other)  # another caller is not concerned
                await in_place(chain, 4)
                await first.send(json.dumps({"id": "1", "type": "complete"}))
                await in_place(chain, 3)
                await subscribe(second, operation_id="3")
                await in_place(chain, 4)
            slots = chain.app.state.services.subscription_slots
            for _ in range(500):  # the connections closed: every subscription's slot is back
                if not slots.held:
                    break
                await asyncio.sleep(0.01)
            assert slots.held == {}

    async def test_a_connection_holds_at_most_20_subscriptions(self, chain: Chain) -> None:
        reader = await make_key(chain.gerant, ["kpi:read"])
        async with live(chain.base_url, {"X-API-Key": reader}) as socket:
            await acknowledged(socket)
            for n in range(21):
                await subscribe(socket, operation_id=str(n))
            message = await asyncio.wait_for(received(socket), 5)
            assert (message["id"], message["type"]) == ("20", "error")
            assert message["payload"][0]["message"] == "Subscription limit reached"


async def test_a_subscription_sent_over_plain_http_is_a_400(client: httpx.AsyncClient) -> None:
    """It answered a 500 (a subscription's stream run as a query gives null)."""
    key = await make_key(await make_gerant(), ["kpi:read"])
    headers = {"X-API-Key": key, "Accept": "application/json"}
    over_post = await client.post("/graphql", json={"query": KPI_UPDATES}, headers=headers)
    over_get = await client.get("/graphql", params={"query": KPI_UPDATES}, headers=headers)
    for method, response in (("POST", over_post), ("GET", over_get)):
        [error] = response.json()["errors"]
        assert (error["extensions"]["code"], error["message"]) == (
            "BAD_REQUEST",
            messages.SUBSCRIPTION_OVER_WEBSOCKET,
        ), method
