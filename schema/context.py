"""The GraphQL context: the request's context from the edge, and per-request data loaders."""

from fastapi import Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from edge.context import RequestContext, request_context, services
from infra.services import Services
from resolvers import kpi_queries
from resolvers.actor import Actor


class Context(BaseContext):
    def __init__(self, request: Request) -> None:
        super().__init__()
        self.scope = request.scope
        self.services: Services = services(request.scope)
        # Per request: each page of KPI entries loads its stores and sellers in one query each.
        self.kpi_stores = DataLoader(load_fn=self._load_kpi_stores)
        self.kpi_sellers = DataLoader(load_fn=self._load_kpi_sellers)

    @property
    def request_context(self) -> RequestContext:
        return request_context(self.scope)

    def actor(self) -> Actor:
        """The caller (API key or session); raises UNAUTHENTICATED like REST's 401."""
        return self.request_context.require_actor()

    async def _load_kpi_stores(self, ids: list[str]) -> list[kpi_queries.Named | None]:
        return await kpi_queries.stores_named(actor=self.actor(), ids=ids)

    async def _load_kpi_sellers(self, ids: list[str]) -> list[kpi_queries.Named | None]:
        return await kpi_queries.sellers_named(actor=self.actor(), ids=ids)


Info = StrawberryInfo[Context, None]


async def get_context(request: Request) -> Context:
    return Context(request)
