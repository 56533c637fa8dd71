"""The GraphQL context: the request's context from the edge, and per-request data loaders.

Every loader batches the loads of one request (of one tick of its execution) into one call of a
rules' function, so a query's database round trips do not grow with its number of parents.
"""

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import NamedTuple, TypeVar

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from contract import messages
from contract.actor import Actor
from contract.errors import AppError, Throttled
from contract.validation import parse
from edge.authentication import WebsocketCredentials, websocket_credentials
from edge.context import RequestContext, request_context, services
from infra.services import Services
from models import Role, Store, User, UserStatus
from resolvers import stores, users
from resolvers.kpi import queries as kpi_queries
from resolvers.kpi import summaries as kpi_summaries
from resolvers.kpi.feed import KpiFeed
from resolvers.kpi.summaries import KpiGroupBy, KpiSummaryRow
from resolvers.pagination import Page

NO_USERS: Page[User] = Page(items=[], has_next_page=False, end_cursor=None, cursors=[])
# A caller at his subscription cap: nothing frees one by itself, he must end one of his own.
SUBSCRIPTIONS_RETRY_SECONDS = 5
KeyT = TypeVar("KeyT", bound=tuple[object, ...])
ValueT = TypeVar("ValueT")


class StaffKey(NamedTuple):
    """One store's page of managers or sellers."""

    store_id: str
    role: Role
    status: UserStatus | None
    first: int
    after: str | None


class SummaryKey(NamedTuple):
    """One store's or seller's KPI summary over a period."""

    owner_id: str
    from_: str
    to: str
    group_by: KpiGroupBy


async def by_group(
    keys: list[KeyT],
    load: Callable[[list[str], KeyT], Awaitable[dict[str, ValueT]]],
    missing: ValueT,
) -> list[ValueT | BaseException]:
    """Load keys that differ only by their first item (an id) together, one call per group of
    the other items; a rules' refusal answers every key of its group."""
    groups: dict[Hashable, list[KeyT]] = defaultdict(list)
    for key in keys:
        groups[key[1:]].append(key)
    found: dict[KeyT, ValueT | BaseException] = {}
    for members in groups.values():
        ids = [str(key[0]) for key in members]
        try:
            values = await load(ids, members[0])
        except AppError as refused:
            found.update(dict.fromkeys(members, refused))
            continue
        found.update({key: values.get(str(key[0]), missing) for key in members})
    return [found[key] for key in keys]


class Context(BaseContext):
    def __init__(self, connection: HTTPConnection) -> None:
        super().__init__()
        self.scope = connection.scope
        self.services: Services = services(connection.scope)
        self.connection_holder: str | None = None  # a websocket's caller, once counted
        # Per request: each page of KPI entries loads its stores and sellers in one query each.
        self.kpi_stores = DataLoader(load_fn=self._load_kpi_stores)
        self.kpi_sellers = DataLoader(load_fn=self._load_kpi_sellers)
        # The graph's parents and children: stores, staff, their pages and their summaries.
        self.stores: DataLoader[str, Store | None] = DataLoader(load_fn=self._load_stores)
        self.staff: DataLoader[str, User | None] = DataLoader(load_fn=self._load_staff)
        self.store_staff: DataLoader[StaffKey, Page[User]] = DataLoader(
            load_fn=self._load_store_staff
        )
        self.store_summaries: DataLoader[SummaryKey, list[KpiSummaryRow]] = DataLoader(
            load_fn=self._load_store_summaries
        )
        self.seller_summaries: DataLoader[SummaryKey, list[KpiSummaryRow]] = DataLoader(
            load_fn=self._load_seller_summaries
        )

    @property
    def kpi_feed(self) -> KpiFeed:
        """The process's feed of KPI entries, which the shell builds beside the services."""
        feed: KpiFeed = self.scope["app"].state.kpi_feed
        return feed

    @property
    def request_context(self) -> RequestContext:
        return request_context(self.scope)

    def actor(self) -> Actor:
        """The caller (API key or session); raises UNAUTHENTICATED like REST's 401."""
        return self.request_context.require_actor()

    def principal(self) -> str:
        """Who is calling (`key:<id>` or `user:<id>`); raises UNAUTHENTICATED if no one."""
        self.actor()
        principal = self.request_context.principal_id
        assert principal is not None  # an actor is a key or a user
        return principal

    def credentials(self) -> WebsocketCredentials:
        """A websocket's credentials, for its subscriptions to check them again."""
        return websocket_credentials(self.scope, self.actor())

    async def hold_connection(self) -> bool:
        """Count this websocket among its caller's connections; False at his cap."""
        principal = self.principal()
        if not await self.services.connection_slots.take(principal):
            return False
        self.connection_holder = principal
        return True

    async def release_connection(self) -> None:
        """The websocket ended: its caller's connection slot is free again."""
        holder, self.connection_holder = self.connection_holder, None
        if holder is not None:
            await self.services.connection_slots.give_back(holder)

    @asynccontextmanager
    async def subscription_slot(self) -> AsyncIterator[None]:
        """Count a subscription among its caller's while the block runs; THROTTLED (429) when
        he holds as many as allowed, on any of his connections to this process."""
        principal = self.principal()
        slots = self.services.subscription_slots
        if not await slots.take(principal):
            message = messages.SUBSCRIPTIONS_LIMITED.format(limit=slots.limit)
            raise Throttled(message, retry_after=SUBSCRIPTIONS_RETRY_SECONDS)
        try:
            yield
        finally:
            await slots.give_back(principal)

    async def _load_kpi_stores(self, ids: list[str]) -> list[kpi_queries.Named | None]:
        return await kpi_queries.stores_named(actor=self.actor(), ids=ids)

    async def _load_kpi_sellers(self, ids: list[str]) -> list[kpi_queries.Named | None]:
        return await kpi_queries.sellers_named(actor=self.actor(), ids=ids)

    async def _load_stores(self, ids: list[str]) -> list[Store | BaseException | None]:
        try:
            found = await stores.stores_by_ids(actor=self.actor(), store_ids=ids)
        except AppError as refused:
            return [refused] * len(ids)
        return [found.get(store_id) for store_id in ids]

    async def _load_staff(self, ids: list[str]) -> list[User | BaseException | None]:
        try:
            found = await users.staff_by_ids(actor=self.actor(), user_ids=ids)
        except AppError as refused:
            return [refused] * len(ids)
        return [found.get(user_id) for user_id in ids]

    async def _load_store_staff(self, keys: list[StaffKey]) -> list[Page[User] | BaseException]:
        async def load(store_ids: list[str], key: StaffKey) -> dict[str, Page[User]]:
            return await users.store_staff(
                actor=self.actor(),
                role=key.role,
                store_ids=store_ids,
                filter=users.StaffFilter(status=key.status),
                first=key.first,
                after=key.after,
            )

        return await by_group(keys, load, missing=NO_USERS)

    async def _load_store_summaries(
        self, keys: list[SummaryKey]
    ) -> list[list[KpiSummaryRow] | BaseException]:
        async def load(ids: list[str], key: SummaryKey) -> dict[str, list[KpiSummaryRow]]:
            return await kpi_summaries.store_summaries(
                actor=self.actor(), kpi_filter=period(key), group_by=key.group_by, store_ids=ids
            )

        return await by_group(keys, load, missing=[])

    async def _load_seller_summaries(
        self, keys: list[SummaryKey]
    ) -> list[list[KpiSummaryRow] | BaseException]:
        async def load(ids: list[str], key: SummaryKey) -> dict[str, list[KpiSummaryRow]]:
            return await kpi_summaries.seller_summaries(
                actor=self.actor(), kpi_filter=period(key), group_by=key.group_by, seller_ids=ids
            )

        return await by_group(keys, load, missing=[])


def period(key: SummaryKey) -> kpi_queries.KpiFilter:
    """The filter of a summary key's period (already validated where the key was made)."""
    return parse(kpi_queries.KpiFilter, {"from": key.from_, "to": key.to})


Info = StrawberryInfo[Context, None]


async def get_context(connection: HTTPConnection) -> Context:
    return Context(connection)
