"""Bounded holdings per principal (an API key or a user): how many websocket connections, how
many subscriptions each may hold at once, across every process.

The callers see only `PrincipalSlots`; `SharedSlots` counts them with the other processes'
(`Holdings`: the rate limits' shared counters, with a lease so a killed process's slots come
back), which is why taking and giving back are awaited.
"""

from dataclasses import dataclass
from typing import Protocol

from infra.holdings import Holdings


class PrincipalSlots(Protocol):
    """At most `limit` slots held at once by each principal."""

    @property
    def limit(self) -> int: ...

    async def take(self, principal: str) -> bool:
        """Hold one more of the principal's slots; False (nothing held) when all are held."""
        ...

    async def give_back(self, principal: str) -> None:
        """Free one slot the principal holds."""
        ...

    async def sync(self) -> None:
        """Share the holdings with the other processes (the shell calls it periodically)."""
        ...


@dataclass
class SharedSlots:
    """PrincipalSlots held in this process, counted with those the others hold (as of the last
    sync: a principal may exceed the limit by what he took elsewhere within the interval)."""

    limit: int
    holdings: Holdings

    @property
    def held(self) -> dict[str, int]:
        """This process's holders and what each holds."""
        return self.holdings.held

    async def take(self, principal: str) -> bool:
        if self.holdings.count(principal) >= self.limit:
            return False
        self.holdings.hold(principal)
        return True

    async def give_back(self, principal: str) -> None:
        self.holdings.release(principal)

    async def sync(self) -> None:
        await self.holdings.sync()
