"""A small KPI history, written through the resolvers, whose sums the report tests check by hand.

The period read is Monday 3 to Sunday 9 March 2025 (ISO week 10); the previous period of the
same length is 24 February to 2 March. After the entries are written, Bob is deleted and the
Lyon store deactivated (which suspends Chloé): their history must still be read.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from contract.actor import Actor
from contract.credentials import actor_for_user
from contract.validation import parse
from models import Role, Store, User
from resolvers.kpi.projector import fold_pending
from resolvers.kpi.queries import KpiFilter
from resolvers.kpi.sync import KpiSync, sync_kpis
from resolvers.stores import delete_store
from resolvers.users import delete_user
from tests.support.factories import make_gerant, make_store, make_user

FROM = "2025-03-03"
TO = "2025-03-09"


@dataclass
class History:
    gerant: User
    paris: Store
    lyon: Store
    nice: Store
    alice: User
    bob: User
    chloe: User
    david: User


async def record(
    actor: Actor, store: Store, day: str, *entries: tuple[User, str | float, int, int, int]
) -> None:
    """Sync `(seller, ca, nb_ventes, nb_articles, prospects)` entries for one store and day; an
    amount is a decimal string, or a float as a till's JSON number is read."""
    await sync_kpis(
        actor=actor,
        data=parse(
            KpiSync,
            {
                "store_id": store.id,
                "date": day,
                "kpi_entries": [
                    {
                        "seller_id": seller.id,
                        "ca_journalier": ca if isinstance(ca, float) else Decimal(ca),
                        "nb_ventes": ventes,
                        "nb_articles": articles,
                        "prospects": prospects,
                    }
                    for seller, ca, ventes, articles, prospects in entries
                ],
            },
        ),
    )


async def make_history(gerant: User | None = None) -> History:
    """The history of `gerant`'s tenant (a new gérant by default), and another tenant's entry."""
    gerant = gerant or await make_gerant()
    paris, lyon, nice = [await make_store(gerant, name) for name in ("Paris", "Lyon", "Nice")]
    alice = await make_user(gerant, Role.SELLER, paris)
    bob = await make_user(gerant, Role.SELLER, paris)
    chloe = await make_user(gerant, Role.SELLER, lyon)
    david = await make_user(gerant, Role.SELLER, nice)
    actor = actor_for_user(gerant)
    await record(actor, paris, "2025-02-23", (alice, "999.99", 9, 9, 9))  # before both periods
    await record(actor, paris, "2025-02-24", (alice, "50.00", 2, 4, 8))  # previous period
    await record(actor, lyon, "2025-03-02", (chloe, "10.00", 1, 3, 0))  # previous period
    await record(actor, paris, "2025-03-03", (alice, "60.10", 1, 3, 6))
    await record(actor, paris, "2025-03-04", (alice, "40.15", 1, 2, 0), (bob, "0.01", 1, 1, 3))
    await record(actor, lyon, "2025-03-05", (chloe, "55.55", 0, 0, 4))
    await record(actor, nice, "2025-03-09", (david, "1000.00", 10, 25, 40))
    await record(actor, paris, "2025-03-10", (alice, "999.99", 9, 9, 9))  # after the period
    await delete_user(actor=actor, user_id=bob.id)
    await delete_store(actor=actor, store_id=lyon.id)

    other = await make_gerant()
    other_store = await make_store(other, "Paris")
    other_seller = await make_user(other, Role.SELLER, other_store)
    await record(actor_for_user(other), other_store, FROM, (other_seller, "5.00", 1, 1, 1))
    return History(gerant, paris, lyon, nice, alice, bob, chloe, david)


def period(**fields: Any) -> KpiFilter:
    """The filter of the history's period, with `fields` changed."""
    return parse(KpiFilter, {"from": FROM, "to": TO, **fields})


AWKWARD_DAYS = ("2025-02-10", "2025-02-11")
AWKWARD_MONTH = {"from": "2025-02-01", "to": "2025-02-28"}


@dataclass
class Awkward:
    """Amounts a binary float holds just under their cents (0.29 * 100 is 28.999…)."""

    gerant: User
    store: Store
    sellers: list[User]


async def make_awkward_amounts() -> Awkward:
    """Three sellers of one store, sent as JSON numbers, each entry (1, 2, 3) in counts:
    10 Feb 0.29 + 0.57 + 1.13 (the 1.13 replacing a 0.01) = 1.99; 11 Feb 19.99 + 1250.05
    = 1270.04; the month 1272.03; the sellers 20.28, 1250.62 and 1.13."""
    gerant = await make_gerant()
    store = await make_store(gerant, "Lille")
    first, second, third = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    actor = actor_for_user(gerant)
    day1, day2 = AWKWARD_DAYS
    await record(actor, store, day1, (first, 0.29, 1, 2, 3), (second, 0.57, 1, 2, 3))
    await record(actor, store, day1, (third, 0.01, 1, 2, 3))
    await record(actor, store, day1, (third, 1.13, 1, 2, 3))
    await record(actor, store, day2, (first, 19.99, 1, 2, 3), (second, 1250.05, 1, 2, 3))
    return Awkward(gerant, store, [first, second, third])


async def fold_all() -> None:
    """What the projector does in the background: every pending store day folded into its
    month."""
    while await fold_pending():
        pass
