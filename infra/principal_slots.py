"""Bounded holdings per principal (an API key or a user): how many websocket connections, how
many subscriptions each may hold at once.

The callers see only `PrincipalSlots`. Today each process counts its own (`ProcessSlots`), so
a principal may hold the limit in every process; a counter shared between processes (in the
database, with leases so a killed process's slots come back) can take its place unchanged,
which is why taking and giving back are awaited.
"""

from dataclasses import dataclass, field
from typing import Protocol


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


@dataclass
class ProcessSlots:
    """PrincipalSlots counted in this process's memory."""

    limit: int
    held: dict[str, int] = field(default_factory=dict)  # only principals holding some

    async def take(self, principal: str) -> bool:
        count = self.held.get(principal, 0)
        if count >= self.limit:
            return False
        self.held[principal] = count + 1
        return True

    async def give_back(self, principal: str) -> None:
        count = self.held.get(principal, 0) - 1
        if count > 0:
            self.held[principal] = count
        else:
            self.held.pop(principal, None)
