"""What introspection selections cost, by their text, in a bounded memory.

The schema does not change while a process runs, so a selection counted once is not counted
again: a repeated introspection (GraphiQL's, or a flood of one) costs a lookup. A count cut
short (past a caller's maximum) is kept as a lower bound, enough to refuse it again at once.
"""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_SELECTIONS = 1000


class Counted(NamedTuple):
    points: int
    exact: bool  # False: counting stopped there, the selection costs more


@dataclass
class IntrospectionPrices:
    capacity: int = MAX_SELECTIONS
    prices: OrderedDict[str, Counted] = field(default_factory=OrderedDict)

    @staticmethod
    def key(text: str) -> str:
        """A short key for a selection's text (which can be 20,000 characters)."""
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Counted | None:
        found = self.prices.get(key)
        if found is not None:
            self.prices.move_to_end(key)
        return found

    def put(self, key: str, counted: Counted) -> None:
        known = self.prices.get(key)
        if known is not None and known.exact:
            return
        self.prices[key] = counted
        self.prices.move_to_end(key)
        while len(self.prices) > self.capacity:
            self.prices.popitem(last=False)
