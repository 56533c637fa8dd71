"""The GraphQL context: the request and the caller, authenticated lazily by the shared code."""

from fastapi import Request
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from resolvers import kpi_reports
from resolvers.actor import Actor
from resolvers.auth import authenticate_app
from resolvers.tokens import TokenSigner


class Context(BaseContext):
    def __init__(self, signer: TokenSigner) -> None:
        super().__init__()
        self.signer = signer
        self._actor: Actor | None = None
        # Per request: each page of KPI entries loads its stores and sellers in one query each.
        self.kpi_stores = DataLoader(load_fn=self._load_kpi_stores)
        self.kpi_sellers = DataLoader(load_fn=self._load_kpi_sellers)

    async def actor(self) -> Actor:
        """The caller (API key or gérant JWT); raises UNAUTHENTICATED like REST's 401."""
        if self._actor is None:
            assert self.request is not None
            self._actor = await authenticate_app(
                x_api_key=self.request.headers.get("x-api-key"),
                authorization=self.request.headers.get("authorization"),
                signer=self.signer,
            )
            self.request.state.actor = self._actor
        return self._actor

    async def _load_kpi_stores(self, ids: list[str]) -> list[kpi_reports.Named | None]:
        return await kpi_reports.stores_named(actor=await self.actor(), ids=ids)

    async def _load_kpi_sellers(self, ids: list[str]) -> list[kpi_reports.Named | None]:
        return await kpi_reports.sellers_named(actor=await self.actor(), ids=ids)


Info = StrawberryInfo[Context, None]


async def get_context(request: Request) -> Context:
    return Context(signer=request.app.state.signer)
