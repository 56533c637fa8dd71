"""Rules of the KPI sync resolver, on mongomock (the unique index is exercised on SecantusDB)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from bson import Decimal128
from pydantic import ValidationError
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ClientBulkWriteException,
    OperationFailure,
)

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable
from contract.validation import parse
from models import KpiEntry, Role, Store, User, UserStatus, transactions
from resolvers.kpi.sync import MAX_ATTEMPTS, MAX_ENTRIES, KpiSync, KpiSyncCounts, sync_kpis
from tests.support.factories import make_actor, make_gerant, make_store, make_user

pytestmark = pytest.mark.usefixtures("mock_db")

DATE = "2024-01-15"


def entry(seller_id: str = "seller-1", **fields: Any) -> dict[str, Any]:
    return {
        "seller_id": seller_id,
        "ca_journalier": 1250.50,
        "nb_ventes": 12,
        "nb_articles": 28,
        "prospects": 35,
        **fields,
    }


def batch(*entries: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"store_id": "store-1", "date": DATE, "kpi_entries": list(entries), **fields}


def rejected(data: dict[str, Any]) -> str:
    """The 400 message `data` is refused with."""
    with pytest.raises(BadRequest) as caught:
        parse(KpiSync, data)
    return caught.value.message


@dataclass
class Tenant:
    gerant: User
    store: Store
    sellers: list[User]
    actor: Actor

    def sync(self, *entries: dict[str, Any], **fields: Any) -> KpiSync:
        return parse(KpiSync, {**batch(*entries), "store_id": self.store.id, **fields})


@pytest.fixture
async def tenant() -> Tenant:
    gerant = await make_gerant()
    store = await make_store(gerant)
    sellers = [await make_user(gerant, Role.SELLER, store) for _ in range(3)]
    return Tenant(gerant, store, sellers, await make_actor(gerant, permissions=["kpi:write"]))


async def stored(seller: User) -> KpiEntry:
    found = await KpiEntry.find_one({"seller_id": seller.id, "date": DATE})
    assert found is not None
    return found


class TestValidation:
    def test_the_spec_example_is_valid(self) -> None:
        data = parse(KpiSync, batch(entry("seller-456"), entry("seller-789", prospects=None)))
        assert data.source == "external_api"
        assert data.date == DATE
        first, second = data.kpi_entries
        assert first.model_dump() == {
            "seller_id": "seller-456",
            "seller_external_id": None,
            "ca_journalier": Decimal("1250.50"),
            "nb_ventes": 12,
            "nb_articles": 28,
            "prospects": 35,
            "timestamp": None,
        }
        assert second.prospects == 0

    def test_omitted_optional_fields_take_their_defaults(self) -> None:
        data = parse(
            KpiSync, batch({"seller_id": "s", "ca_journalier": 1, "nb_ventes": 0, "nb_articles": 0})
        )
        assert (data.source, data.kpi_entries[0].prospects) == ("external_api", 0)
        assert parse(KpiSync, batch(entry(), source=None)).source == "external_api"
        assert parse(KpiSync, batch(entry(), source=" caisse ")).source == "caisse"

    @pytest.mark.parametrize(
        "value",
        [
            "2024-02-30",
            "2024-1-5",
            "20240115",
            "2024-01-15T00:00:00",
            "15/01/2024",
            "",
            " 2024-01-15",
            "\uff12\uff10\uff12\uff14-01-15",
        ],
    )
    def test_date_must_be_a_real_yyyy_mm_dd_day(self, value: str) -> None:
        assert rejected(batch(entry(), date=value)) == f"date: {messages.KPI_INVALID_DATE}"

    def test_date_accepts_a_leap_day(self) -> None:
        assert parse(KpiSync, batch(entry(), date="2024-02-29")).date == "2024-02-29"

    def test_required_fields_are_named(self) -> None:
        assert rejected({"kpi_entries": [{}]}) == (
            f"store_id: {messages.KPI_STORE_REFERENCE}; date: Field required; "
            f"kpi_entries[0].seller_id: {messages.KPI_SELLER_REFERENCE}; "
            "kpi_entries[0].ca_journalier: Field required; "
            "kpi_entries[0].nb_ventes: Field required; kpi_entries[0].nb_articles: Field required"
        )

    @pytest.mark.parametrize(
        "references",
        [
            {"store_id": "store-1", "store_external_id": "LYON-001"},
            {"store_id": None, "store_external_id": None},
            {},
        ],
    )
    def test_the_store_is_named_exactly_one_way(self, references: dict[str, Any]) -> None:
        data = {"date": DATE, "kpi_entries": [entry()], **references}
        assert rejected(data) == f"store_id: {messages.KPI_STORE_REFERENCE}"

    @pytest.mark.parametrize(
        "references",
        [
            {"seller_id": "a", "seller_external_id": "A"},
            {"seller_id": None, "seller_external_id": None},
            {"seller_id": None},
        ],
    )
    def test_each_seller_is_named_exactly_one_way(self, references: dict[str, Any]) -> None:
        data = batch(entry("a"), {**entry(), **references})
        assert rejected(data) == f"kpi_entries[1].seller_id: {messages.KPI_SELLER_REFERENCE}"

    def test_external_ids_name_the_store_and_sellers(self) -> None:
        data = parse(
            KpiSync,
            {
                "store_external_id": " LYON-001 ",
                "store_id": None,
                "date": DATE,
                "kpi_entries": [
                    {**entry(), "seller_id": None, "seller_external_id": "S-1"},
                    entry("seller-2"),
                ],
            },
        )
        assert (data.store_id, data.store_external_id) == (None, "LYON-001")
        references = [(e.seller_id, e.seller_external_id) for e in data.kpi_entries]
        assert references == [(None, "S-1"), ("seller-2", None)]

    def test_an_external_id_appears_once_per_batch(self) -> None:
        entries = [{**entry(), "seller_id": None, "seller_external_id": x} for x in "BAAB"]
        assert rejected(batch(*entries, entry("c"), entry("c"))) == (
            "kpi_entries: seller_id appears more than once: c; "
            "seller_external_id appears more than once: A, B"
        )

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (-1, "Input should be greater than or equal to 0"),
            (1.5, "Input should be a valid integer, got a number with a fractional part"),
            (True, messages.KPI_NOT_A_NUMBER),
            ("12", messages.KPI_NOT_A_NUMBER),
            (None, messages.KPI_NOT_A_NUMBER),
            (2**31, "Input should be less than or equal to 2147483647"),
        ],
    )
    @pytest.mark.parametrize("field", ["nb_ventes", "nb_articles"])
    def test_counts_are_non_negative_integers(
        self, field: str, value: object, message: str
    ) -> None:
        data = batch(entry("a"), entry("b"), entry("c"), entry("d", **{field: value}))
        assert rejected(data) == f"kpi_entries[3].{field}: {message}"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (-1, "Input should be greater than or equal to 0"),
            (False, messages.KPI_NOT_A_NUMBER),
            ("3", messages.KPI_NOT_A_NUMBER),
        ],
    )
    def test_prospects_is_a_non_negative_integer(self, value: object, message: str) -> None:
        assert rejected(batch(entry(prospects=value))) == f"kpi_entries[0].prospects: {message}"

    def test_a_whole_float_is_an_integer(self) -> None:
        assert parse(KpiSync, batch(entry(nb_ventes=12.0))).kpi_entries[0].nb_ventes == 12

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (12.345, messages.AMOUNT_TOO_PRECISE),
            ("12.345", messages.AMOUNT_TOO_PRECISE),
            (Decimal("12.345"), messages.AMOUNT_TOO_PRECISE),
            (0.001, messages.AMOUNT_TOO_PRECISE),
            (1250.500001, messages.AMOUNT_TOO_PRECISE),
            (-0.01, "Input should be greater than or equal to 0"),
            ("-1.00", "Input should be greater than or equal to 0"),
            (float("nan"), "Input should be a finite number"),
            (float("inf"), "Input should be a finite number"),
            (1e13, "Decimal input should have no more than 13 digits before the decimal point"),
            (
                "12345678901234",
                "Decimal input should have no more than 13 digits before the decimal point",
            ),
            (True, messages.AMOUNT_NOT_A_NUMBER),
            (None, messages.AMOUNT_NOT_A_NUMBER),
            ("", messages.AMOUNT_NOT_A_NUMBER),
            ("12,50", messages.AMOUNT_NOT_A_NUMBER),
            ("1e3", messages.AMOUNT_NOT_A_NUMBER),
            ("NaN", messages.AMOUNT_NOT_A_NUMBER),
            ("1" * 51, messages.AMOUNT_NOT_A_NUMBER),
            ([12], messages.AMOUNT_NOT_A_NUMBER),
        ],
    )
    def test_ca_journalier_is_a_finite_non_negative_amount_in_cents(
        self, value: object, message: str
    ) -> None:
        assert (
            rejected(batch(entry(ca_journalier=value)))
            == f"kpi_entries[0].ca_journalier: {message}"
        )

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (1250.5, "1250.50"),
            (Decimal("1250.50"), "1250.50"),
            (Decimal("1250.5"), "1250.50"),
            (0.1, "0.10"),
            (0.29, "0.29"),
            (1000, "1000.00"),
            (-0.0, "0.00"),
            (99999999999.99, "99999999999.99"),
            ("1250.50", "1250.50"),
            (" 1250.5 ", "1250.50"),
            ("1250", "1250.00"),
            ("-0.00", "0.00"),
            # Float noise within 1e-9 of a cent is that cent.
            (1.1 * 3, "3.30"),
            (0.1 + 0.2, "0.30"),
            (3.3000000000000003, "3.30"),
            (1250.5000000001, "1250.50"),
            (1250.4999999999, "1250.50"),
            ("3.3000000000000003", "3.30"),
            (Decimal("19.999999999999"), "20.00"),
            (9999999999999.99, "9999999999999.99"),
        ],
    )
    def test_amounts_are_the_decimal_written_not_the_binary_float(
        self, value: object, expected: str
    ) -> None:
        amount = parse(KpiSync, batch(entry(ca_journalier=value))).kpi_entries[0].ca_journalier
        assert str(amount) == expected

    def test_every_problem_of_the_batch_is_named(self) -> None:
        data = batch(
            entry("a"),
            entry("b", nb_ventes=-1, ca_journalier=12.345),
            entry("c"),
            entry("d", nb_articles="x"),
            date="2024-02-30",
        )
        assert rejected(data) == (
            f"date: {messages.KPI_INVALID_DATE}; "
            f"kpi_entries[1].ca_journalier: {messages.AMOUNT_TOO_PRECISE}; "
            "kpi_entries[1].nb_ventes: Input should be greater than or equal to 0; "
            f"kpi_entries[3].nb_articles: {messages.KPI_NOT_A_NUMBER}"
        )

    def test_at_most_100_entries(self) -> None:
        entries = [entry(f"seller-{n}") for n in range(MAX_ENTRIES + 1)]
        assert len(parse(KpiSync, batch(*entries[:MAX_ENTRIES])).kpi_entries) == MAX_ENTRIES
        assert rejected(batch(*entries)) == (
            "kpi_entries: Too many entries: 101 (maximum 100 per request)"
        )

    def test_an_oversized_batch_is_refused_before_its_entries_are_read(self) -> None:
        assert rejected(batch(*[{}] * 1000, date="bad")) == (
            f"date: {messages.KPI_INVALID_DATE}; "
            "kpi_entries: Too many entries: 1000 (maximum 100 per request)"
        )

    def test_an_empty_batch_is_refused(self) -> None:
        assert rejected(batch()) == (
            "kpi_entries: List should have at least 1 item after validation, not 0"
        )

    def test_a_seller_appears_once_per_batch(self) -> None:
        data = batch(entry("b"), entry("a"), entry(" b "), entry("c"), entry("a"), entry("b"))
        assert rejected(data) == "kpi_entries: seller_id appears more than once: a, b"

    def test_source_is_bounded(self) -> None:
        assert parse(KpiSync, batch(entry(), source="x" * 100)).source == "x" * 100
        assert rejected(batch(entry(), source="x" * 101)) == (
            "source: String should have at most 100 characters"
        )

    def test_timestamp_is_an_iso_datetime_kept_in_utc(self) -> None:
        data = parse(KpiSync, batch(entry(timestamp="2024-01-15T19:30:00+01:00")))
        assert data.kpi_entries[0].timestamp == datetime(2024, 1, 15, 18, 30, tzinfo=UTC)
        assert rejected(batch(entry(timestamp="yesterday"))).startswith(
            "kpi_entries[0].timestamp: Input should be a valid datetime"
        )

    def test_the_model_cannot_be_built_around_validation(self) -> None:
        with pytest.raises(ValidationError):
            KpiSync(store_id="s", date="2024-02-30", kpi_entries=[])


class TestSync:
    async def test_creates_one_entry_per_seller(self, tenant: Tenant) -> None:
        first, second, _ = tenant.sellers
        data = tenant.sync(
            entry(first.id, timestamp="2024-01-15T18:00:00Z"),
            entry(second.id, ca_journalier=980.25, nb_ventes=8, nb_articles=15, prospects=20),
            source="caisse-paris",
        )
        counts = await sync_kpis(actor=tenant.actor, data=data)
        assert (counts, counts.total) == (KpiSyncCounts(created=2, updated=0), 2)
        saved = await stored(first)
        assert saved.model_dump(exclude={"id", "created_at", "updated_at", "revision_id"}) == {
            "gerant_id": tenant.gerant.id,
            "store_id": tenant.store.id,
            "seller_id": first.id,
            "date": DATE,
            "ca_journalier": Decimal("1250.50"),
            "nb_ventes": 12,
            "nb_articles": 28,
            "prospects": 35,
            "source": "caisse-paris",
            "timestamp": datetime(2024, 1, 15, 18, tzinfo=UTC),
        }
        assert saved.id.startswith("kpi_")
        assert saved.created_at == saved.updated_at
        assert (await stored(second)).ca_journalier == Decimal("980.25")

    async def test_a_resync_updates_and_counts_new_sellers_as_created(self, tenant: Tenant) -> None:
        first, second, third = tenant.sellers
        await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(first.id), entry(second.id)))
        before = await stored(first)
        counts = await sync_kpis(
            actor=tenant.actor,
            data=tenant.sync(
                entry(first.id, ca_journalier=10, nb_ventes=1), entry(second.id), entry(third.id)
            ),
        )
        assert counts == KpiSyncCounts(created=1, updated=2)
        after = await stored(first)
        assert (after.id, after.created_at) == (before.id, before.created_at)
        assert (after.ca_journalier, after.nb_ventes) == (Decimal("10.00"), 1)
        assert after.updated_at >= before.updated_at
        assert await KpiEntry.count() == 3

    async def test_another_date_is_another_entry(self, tenant: Tenant) -> None:
        seller = tenant.sellers[0]
        await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(seller.id)))
        counts = await sync_kpis(
            actor=tenant.actor, data=tenant.sync(entry(seller.id), date="2024-01-16")
        )
        assert counts == KpiSyncCounts(created=1, updated=0)

    async def test_amounts_are_stored_as_exact_decimal128(self, tenant: Tenant) -> None:
        first, second, _ = tenant.sellers
        data = tenant.sync(entry(first.id, ca_journalier=0.1), entry(second.id, ca_journalier=0.2))
        await sync_kpis(actor=tenant.actor, data=data)
        raw = KpiEntry.get_motor_collection()
        documents = await raw.find({}, {"ca_journalier": 1, "seller_id": 1}).to_list(None)
        amounts = {doc["seller_id"]: doc["ca_journalier"] for doc in documents}
        assert amounts == {first.id: Decimal128("0.10"), second.id: Decimal128("0.20")}
        total = (await stored(first)).ca_journalier + (await stored(second)).ca_journalier
        assert total == Decimal("0.3")

    async def test_reads_back_as_the_amount_sent(self, tenant: Tenant) -> None:
        seller = tenant.sellers[0]
        await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(seller.id)))
        assert (await stored(seller)).ca_journalier == Decimal("1250.50")

    async def test_suspended_sellers_are_accepted(self, tenant: Tenant) -> None:
        seller = await make_user(tenant.gerant, Role.SELLER, tenant.store, UserStatus.SUSPENDED)
        counts = await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(seller.id)))
        assert counts == KpiSyncCounts(created=1, updated=0)


class TestSellers:
    async def test_unknown_sellers_are_named_sorted_and_nothing_is_written(
        self, tenant: Tenant
    ) -> None:
        data = tenant.sync(entry("zz-unknown"), entry(tenant.sellers[0].id), entry("aa-unknown"))
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=data)
        assert caught.value.message == (
            "kpi_entries: seller_id not a seller of this store: aa-unknown, zz-unknown"
        )
        assert await KpiEntry.count() == 0

    @pytest.mark.parametrize(
        "who",
        [
            "seller of another store",
            "deleted seller",
            "manager of the store",
            "seller without store",
            "gérant",
            "seller of another tenant",
        ],
    )
    async def test_only_this_stores_sellers_may_have_kpis(self, tenant: Tenant, who: str) -> None:
        other_store = await make_store(tenant.gerant)
        makers: dict[str, Callable[[], Any]] = {
            "seller of another store": lambda: make_user(tenant.gerant, Role.SELLER, other_store),
            "deleted seller": lambda: make_user(
                tenant.gerant, Role.SELLER, tenant.store, UserStatus.DELETED
            ),
            "manager of the store": lambda: make_user(tenant.gerant, Role.MANAGER, tenant.store),
            "seller without store": lambda: make_user(tenant.gerant, Role.SELLER, None),
            "gérant": make_gerant,
            "seller of another tenant": other_tenant_seller,
        }
        intruder: User = await makers[who]()
        data = tenant.sync(entry(tenant.sellers[0].id), entry(intruder.id))
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=data)
        assert caught.value.message == messages.KPI_UNKNOWN_SELLERS.format(ids=intruder.id)
        assert await KpiEntry.count() == 0


class TestExternalIds:
    """The store and sellers named by their external ids: the same entries as with our ids."""

    @staticmethod
    def by_external_id(external_id: str, **fields: Any) -> dict[str, Any]:
        return {**entry(**fields), "seller_id": None, "seller_external_id": external_id}

    async def test_the_same_entries_as_with_our_ids(self, tenant: Tenant) -> None:
        first, second, _ = tenant.sellers
        await User.find_one({"_id": first.id}).update({"$set": {"external_id": "S-1"}})
        await Store.find_one({"_id": tenant.store.id}).update({"$set": {"external_id": "ST-1"}})
        data = parse(
            KpiSync,
            batch(self.by_external_id("S-1"), entry(second.id), store_id=None)
            | {"store_external_id": "ST-1"},
        )
        counts = await sync_kpis(actor=tenant.actor, data=data)
        assert counts == KpiSyncCounts(created=2, updated=0)
        saved = await stored(first)
        assert (saved.store_id, saved.seller_id, saved.ca_journalier) == (
            tenant.store.id,
            first.id,
            Decimal("1250.50"),
        )
        again = await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(first.id)))
        assert again == KpiSyncCounts(created=0, updated=1)

    async def test_unknown_external_ids_are_named_with_unknown_ids(self, tenant: Tenant) -> None:
        seller_of_another_store = await make_user(
            tenant.gerant, Role.SELLER, await make_store(tenant.gerant), external_id="ELSEWHERE"
        )
        await make_user(
            tenant.gerant, Role.SELLER, tenant.store, UserStatus.DELETED, external_id="GONE"
        )
        data = tenant.sync(
            self.by_external_id("ZZ"),
            self.by_external_id("ELSEWHERE"),
            self.by_external_id("GONE"),
            entry("unknown-id"),
            entry(tenant.sellers[0].id),
        )
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=data)
        assert caught.value.message == (
            "kpi_entries: seller_id not a seller of this store: unknown-id; "
            "kpi_entries: seller_external_id not a seller of this store: ELSEWHERE, GONE, ZZ"
        )
        assert seller_of_another_store.external_id == "ELSEWHERE"
        assert await KpiEntry.count() == 0

    async def test_a_seller_named_both_ways_is_refused(self, tenant: Tenant) -> None:
        seller = tenant.sellers[0]
        await User.find_one({"_id": seller.id}).update({"$set": {"external_id": "S-1"}})
        data = tenant.sync(entry(seller.id), self.by_external_id("S-1"))
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=data)
        assert caught.value.message == (
            f"kpi_entries: {messages.KPI_DUPLICATE_SELLERS.format(ids=seller.id)}"
        )
        assert await KpiEntry.count() == 0

    @pytest.mark.parametrize(
        ("case", "error", "message"),
        [
            ("unknown", NotFound, messages.STORE_NOT_FOUND),
            ("another tenant's", NotFound, messages.STORE_NOT_FOUND),
            ("outside the key's stores", Forbidden, messages.STORE_NOT_IN_KEY_SCOPE),
            ("closed", BadRequest, messages.STORE_INACTIVE),
        ],
    )
    async def test_store_errors_as_with_our_ids(
        self, tenant: Tenant, case: str, error: type[Exception], message: str
    ) -> None:
        actor = tenant.actor
        if case == "another tenant's":
            await make_store(await make_gerant(), external_id="ST-1")
        if case == "outside the key's stores":
            await make_store(tenant.gerant, external_id="ST-1")
            actor = await make_actor(tenant.gerant, ["kpi:write"], store_ids=[tenant.store.id])
        if case == "closed":
            await make_store(tenant.gerant, external_id="ST-1", active=False)
        data = parse(
            KpiSync,
            {"store_external_id": "ST-1", "date": DATE, "kpi_entries": [self.by_external_id("S")]},
        )
        with pytest.raises(error) as caught:
            await sync_kpis(actor=actor, data=data)
        assert str(caught.value) == message


async def other_tenant_seller() -> User:
    gerant = await make_gerant()
    return await make_user(gerant, Role.SELLER, await make_store(gerant))


class TestAccess:
    async def test_requires_kpi_write(self, tenant: Tenant) -> None:
        actor = await make_actor(tenant.gerant, permissions=["stores:read", "users:write"])
        with pytest.raises(Forbidden) as caught:
            await sync_kpis(actor=actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert caught.value.message == "Insufficient permissions. Requires 'kpi:write'"

    async def test_store_outside_the_key_scope_is_403(self, tenant: Tenant) -> None:
        allowed = await make_store(tenant.gerant)
        actor = await make_actor(tenant.gerant, ["kpi:write"], store_ids=[allowed.id])
        with pytest.raises(Forbidden) as caught:
            await sync_kpis(actor=actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert caught.value.message == messages.STORE_NOT_IN_KEY_SCOPE

    async def test_a_restricted_key_syncs_its_stores(self, tenant: Tenant) -> None:
        actor = await make_actor(tenant.gerant, ["kpi:write"], store_ids=[tenant.store.id])
        counts = await sync_kpis(actor=actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert counts.total == 1

    async def test_unknown_store_is_404(self, tenant: Tenant) -> None:
        data = tenant.sync(entry(tenant.sellers[0].id), store_id="store_unknown")
        with pytest.raises(NotFound) as caught:
            await sync_kpis(actor=tenant.actor, data=data)
        assert caught.value.message == messages.STORE_NOT_FOUND

    async def test_another_tenants_store_is_404(self, tenant: Tenant) -> None:
        other = await make_store(await make_gerant())
        data = tenant.sync(entry(tenant.sellers[0].id), store_id=other.id)
        with pytest.raises(NotFound):
            await sync_kpis(actor=tenant.actor, data=data)

    async def test_a_deactivated_store_is_400(self, tenant: Tenant) -> None:
        await Store.find_one({"_id": tenant.store.id}).update({"$set": {"active": False}})
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert caught.value.message == messages.STORE_INACTIVE
        assert await KpiEntry.count() == 0


class FlakyWrites:
    """The sync's one write (entries, store days, events), whose first `failures` calls raise
    `error` (in a transaction, a failed write applies nothing: tested on SecantusDB); the number
    of operations of each call, inserts included."""

    def __init__(self, error: Exception, failures: int = 1) -> None:
        self.real = transactions.write_across
        self.error = error
        self.failures = failures
        self.calls: list[int] = []

    async def __call__(
        self, model: Any, writes: list[Any], session: Any, *, inserts: list[Any]
    ) -> None:
        self.calls.append(len(inserts) + len(writes))
        if len(self.calls) <= self.failures:
            raise self.error
        await self.real(model, writes, session, inserts=inserts)


def bulk_error(
    code: int, index: int, error: OperationFailure | None = None
) -> ClientBulkWriteException:
    """A failed bulkWrite: a write's error (`code`, at `index`), or the command's own `error`."""
    written = [] if error else [{"idx": index, "code": code, "errmsg": "E11000 duplicate key"}]
    return ClientBulkWriteException(
        {
            "error": error,
            "writeErrors": written,
            "writeConcernErrors": [],
            "nInserted": 0,
            "nUpserted": 0,
            "nMatched": 0,
            "nModified": 0,
            "nDeleted": 0,
        },
        verbose=False,
    )


def insert_error(code: int) -> BulkWriteError:
    """A failed insert of new entries: a write's error (`code`)."""
    written = [{"index": 0, "code": code, "errmsg": "E11000 duplicate key"}]
    return BulkWriteError({"writeErrors": written, "writeConcernErrors": [], "nInserted": 0})


def write_conflict() -> OperationFailure:
    return OperationFailure(
        "WriteConflict", code=112, details={"errorLabels": ["TransientTransactionError"]}
    )


class TestWriteErrors:
    @pytest.mark.parametrize(
        "race",
        [
            bulk_error(11000, index=1),
            insert_error(11000),
            write_conflict(),
            bulk_error(0, 0, write_conflict()),
        ],
        ids=[
            "duplicate-key",
            "duplicate-key-in-the-insert",
            "write-conflict",
            "write-conflict-in-the-bulk-write",
        ],
    )
    async def test_a_batch_that_lost_a_race_is_retried_whole(
        self, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, race: Exception
    ) -> None:
        first, second, _ = tenant.sellers
        flaky = FlakyWrites(race)
        monkeypatch.setattr(transactions, "write_across", flaky)
        data = tenant.sync(entry(first.id), entry(second.id))
        counts = await sync_kpis(actor=tenant.actor, data=data)
        assert flaky.calls == [4, 4]  # 2 entries, their store day and its event, twice
        assert counts == KpiSyncCounts(created=2, updated=0)
        assert await KpiEntry.count() == 2

    async def test_a_write_error_is_a_400_without_internals(
        self, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        flaky = FlakyWrites(bulk_error(2, index=0))
        monkeypatch.setattr(transactions, "write_across", flaky)
        with pytest.raises(BadRequest) as caught:
            await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert caught.value.message == messages.KPI_WRITE_FAILED
        assert flaky.calls == [3]

    async def test_races_lost_at_every_attempt_are_a_503_to_retry(
        self, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        flaky = FlakyWrites(write_conflict(), failures=MAX_ATTEMPTS)
        monkeypatch.setattr(transactions, "write_across", flaky)
        with pytest.raises(ServiceUnavailable) as caught:
            await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert caught.value.message == messages.KPI_WRITE_CONFLICT
        assert flaky.calls == [3] * MAX_ATTEMPTS

    async def test_an_unreachable_database_is_left_to_the_503_mapping(
        self, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        flaky = FlakyWrites(AutoReconnect("connection reset"))
        monkeypatch.setattr(transactions, "write_across", flaky)
        with pytest.raises(AutoReconnect):
            await sync_kpis(actor=tenant.actor, data=tenant.sync(entry(tenant.sellers[0].id)))
        assert flaky.calls == [3]


class TestAmountBounds:
    """Amounts on the edges of the rules: text length, the 1e-9 tolerance, the 13 digits."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1." + "0" * 48, "1.00"),  # 50 characters, the most a text may have
            ("1.000000001", "1.00"),  # exactly 1e-9 from a cent
            ("0.009999999", "0.01"),
        ],
    )
    def test_accepted_at_the_bound(self, value: str, expected: str) -> None:
        amount = parse(KpiSync, batch(entry(ca_journalier=value))).kpi_entries[0].ca_journalier
        assert str(amount) == expected

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("1." + "0" * 49, messages.AMOUNT_NOT_A_NUMBER),
            ("1.0000000011", messages.AMOUNT_TOO_PRECISE),
            # 14 digits before the point: refused for them, whatever its decimals.
            (
                "12345678901234.567",
                "Decimal input should have no more than 15 digits in total",
            ),
        ],
    )
    def test_refused_past_the_bound(self, value: str, message: str) -> None:
        assert (
            rejected(batch(entry(ca_journalier=value)))
            == f"kpi_entries[0].ca_journalier: {message}"
        )
