"""A small chain for the pages' tests: a gérant, two stores, a manager, three sellers with
passwords, and sixty days of KPIs pushed through the REST API, so that the last thirty days
have a previous period to compare with."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from tests.support.cli import rpai_json
from tests.support.provisioned import provision

GERANT = ("Alice Martin", "alice@example.com", "gérante password")
MANAGER = ("Jean Dupont", "jean@example.com", "manager password")
SELLERS = {
    "Marie Martin": ("marie@example.com", "Paris Rivoli"),
    "Paul Durand": ("paul@example.com", "Paris Rivoli"),
    "Sophie Bernard": ("sophie@example.com", "Lyon Centre"),
}
SELLER_PASSWORD = "seller password"
DAYS = 60


@dataclass(frozen=True)
class Entry:
    day: date
    store: str
    seller: str
    ca: Decimal
    ventes: int
    articles: int
    prospects: int


@dataclass
class Chain:
    base: str
    store_ids: dict[str, str] = field(default_factory=dict)
    seller_ids: dict[str, str] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    def current(self) -> tuple[date, date]:
        """The dashboard's default period: the last 30 days, today included."""
        today = date.today()
        return today - timedelta(days=29), today

    def previous(self) -> tuple[date, date]:
        """What the dashboard compares with: the 30 days 5 whole weeks earlier (same weekdays)."""
        start, end = self.current()
        return start - timedelta(days=35), end - timedelta(days=35)

    def select(
        self, period: tuple[date, date], store: str | None = None, seller: str | None = None
    ) -> list[Entry]:
        return [
            e
            for e in self.entries
            if period[0] <= e.day <= period[1]
            and store in (None, e.store)
            and seller in (None, e.seller)
        ]


def figures(day_index: int) -> dict[str, tuple[Decimal, int, int, int] | None]:
    """Each seller's (ca, ventes, articles, prospects) on day `day_index` (0 = 59 days ago)."""
    return {
        "Marie Martin": (Decimal(100 + day_index), 5, 8, 20),
        "Paul Durand": (Decimal("50.50"), 2, 3, 10) if day_index % 2 == 0 else None,
        "Sophie Bernard": (Decimal(81), 4, 4, 16),
    }


def build_chain(data: Path, base: str) -> Chain:
    """Create everything through the CLI and the REST API of the server at `base`."""
    name, email, password = GERANT
    key = provision(
        data,
        name=name,
        email=email,
        password=password,
        key_name="Amorçage",
        permissions="stores:write,users:write,kpi:write",
    ).key
    headers = {"X-API-Key": key}
    chain = Chain(base=base)
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for store in ("Paris Rivoli", "Lyon Centre"):
            made = http.post("/api/integrations/stores", json={"name": store, "location": "France"})
            assert made.status_code == 200, made.text
            chain.store_ids[store] = made.json()["store"]["id"]
        manager = http.post(
            f"/api/integrations/stores/{chain.store_ids['Paris Rivoli']}/managers",
            json={"name": MANAGER[0], "email": MANAGER[1], "send_invitation": False},
        )
        assert manager.status_code == 200, manager.text
        for seller, (seller_email, store) in SELLERS.items():
            made = http.post(
                f"/api/integrations/stores/{chain.store_ids[store]}/sellers",
                json={"name": seller, "email": seller_email, "send_invitation": False},
            )
            assert made.status_code == 200, made.text
            chain.seller_ids[seller] = made.json()["seller_id"]
        first = date.today() - timedelta(days=DAYS - 1)
        for index in range(DAYS):
            day = first + timedelta(days=index)
            for store in chain.store_ids:
                batch = []
                for seller, values in figures(index).items():
                    if values is None or SELLERS[seller][1] != store:
                        continue
                    ca, ventes, articles, prospects = values
                    chain.entries.append(Entry(day, store, seller, ca, ventes, articles, prospects))
                    batch.append(
                        {
                            "seller_id": chain.seller_ids[seller],
                            "ca_journalier": float(ca),
                            "nb_ventes": ventes,
                            "nb_articles": articles,
                            "prospects": prospects,
                        }
                    )
                synced = http.post(
                    "/api/integrations/kpi/sync",
                    json={
                        "store_id": chain.store_ids[store],
                        "date": day.isoformat(),
                        "kpi_entries": batch,
                    },
                )
                assert synced.status_code == 200, synced.text
    for user_email, user_password in [
        (MANAGER[1], MANAGER[2]),
        *[(seller_email, SELLER_PASSWORD) for seller_email, _ in SELLERS.values()],
    ]:
        rpai_json(
            data,
            "set-password",
            "--email",
            user_email,
            "--password-stdin",
            stdin=f"{user_password}\n",
        )
    return chain
