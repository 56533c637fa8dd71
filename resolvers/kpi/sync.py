"""Daily KPI sync: the batch validated, sellers checked in one query, one transaction."""

import asyncio
import logging
import random
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, ClientBulkWriteException, PyMongoError

from contract import messages
from contract.actor import Actor
from contract.errors import AppError, BadRequest, ServiceUnavailable, as_app_error
from contract.event_types import EventType
from contract.inputs import ExternalId, Identifier, Input, OneLine
from contract.permissions import Permission
from contract.representations import KpiSyncedDay
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from infra.metrics import KPI_ENTRIES_WRITTEN
from models import Event, KpiEntry, Store, User, transactions
from models.clock import UtcDateTime, utcnow
from models.kpi_entry import new_entry_id
from models.transactions import namespace
from resolvers.events import event_document
from resolvers.kpi.figures import DayLine, stored_amount
from resolvers.kpi.rollup_writes import rollup_writes
from resolvers.kpi.scope import KpiTenant, tenant_of
from resolvers.stores import get_active_store, get_store_by_external_id, require_active

logger = logging.getLogger(__name__)

MAX_ENTRIES = 100
MAX_SOURCE = 100
DEFAULT_SOURCE = "external_api"
# GraphQL's Int range, so that both transports accept the same counts (and BSON can store them).
MAX_COUNT = 2**31 - 1
MAX_EPOCH_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
# Any decimal of at most 15 significant digits survives a round trip through a binary float, as
# JSON numbers and GraphQL Floats make it: the amount read is then exactly the amount sent.
MAX_AMOUNT_DIGITS = 15
CENT = Decimal("0.01")
# How far from a whole number of cents an amount may be and still be that amount: binary
# floats put noise in the 16th significant digit (1.1 * 3 == 3.3000000000000003).
CENT_TOLERANCE = Decimal("1e-9")
# Amounts of 10^13 euros or more are refused for their digits, not rounded to cents.
MAX_WHOLE_DIGITS = MAX_AMOUNT_DIGITS - 2
MAX_AMOUNT_TEXT = 50
DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The days a KPI may be about, written and read alike: whatever a sync stores can be read back.
# Far inside the calendar's own ends, so that reads can step past them (the previous period,
# up to 366 days before; the day after) and every year prints with four digits.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# A concurrent sync of the same entries aborts the transaction with a write conflict (labelled
# TransientTransactionError) or, if it committed first, a duplicate key; the batch is tried again.
TRANSIENT_TRANSACTION_ERROR = "TransientTransactionError"
RACE_CODES = frozenset({11000, 112})  # DuplicateKey, WriteConflict
MAX_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.02


def _number(value: object) -> object:
    """Only numbers: JSON booleans and numeric strings are neither amounts nor counts."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(messages.KPI_NOT_A_NUMBER)
    return value


def _in_cents(value: object) -> object:
    """An amount, a number or a decimal string, as the whole number of cents it stands for.

    Within 1e-9 of a cent is that cent (float noise is not an error); anything finer is refused.
    A float is read as the decimal it was written as (0.1 is 0.10, not its binary value).
    Infinite, NaN and too large amounts are left for the field's own checks to refuse.
    """
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_AMOUNT_TEXT or not DECIMAL_TEXT.fullmatch(text):
            raise ValueError(messages.AMOUNT_NOT_A_NUMBER)
        exact = Decimal(text)
    elif isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(messages.AMOUNT_NOT_A_NUMBER)
    else:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite() or exact.adjusted() >= MAX_WHOLE_DIGITS:
        return exact
    cents = exact.quantize(CENT)
    if abs(exact - cents) > CENT_TOLERANCE:
        raise ValueError(messages.AMOUNT_TOO_PRECISE)
    return abs(cents) if cents.is_zero() else cents  # -0.00 is 0.00


def _calendar_date(value: str) -> str:
    """`YYYY-MM-DD` naming a day that exists, from FIRST_DAY to LAST_DAY; kept as the string it
    was given."""
    if not DATE_FORMAT.fullmatch(value):
        raise ValueError(messages.KPI_INVALID_DATE)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(messages.KPI_INVALID_DATE) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(messages.KPI_DATE_OUT_OF_RANGE.format(first=FIRST_DAY, last=LAST_DAY))
    return value


def _epoch_seconds(value: object) -> object:
    """A number is seconds since 1970-01-01 UTC, never milliseconds: a value past 9999-12-31
    (253402300799) is refused rather than guessed at."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if not 0 <= value <= MAX_EPOCH_SECONDS:
        raise ValueError(messages.KPI_EPOCH_RANGE.format(maximum=MAX_EPOCH_SECONDS))
    return datetime.fromtimestamp(value, UTC)


def _null_is(default: object) -> BeforeValidator:
    """An explicit null on an optional field means its default, as when the field is omitted."""
    return BeforeValidator(lambda value: default if value is None else value)


def _or_null(schema: dict[str, Any]) -> None:
    """Document that a field also accepts null (which `_null_is` turns into its default)."""
    annotations = {key: schema.pop(key) for key in ("title", "default") if key in schema}
    accepted = dict(schema)
    schema.clear()
    schema.update(anyOf=[accepted, {"type": "null"}], **annotations)


Count = Annotated[int, Field(ge=0, le=MAX_COUNT), BeforeValidator(_number)]
Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=MAX_AMOUNT_DIGITS, decimal_places=2, allow_inf_nan=False),
    BeforeValidator(_in_cents),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 9999999999999.99},
                {"type": "string", "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2})?$"},
            ],
            "description": "Euros, to the cent: a number or a decimal string (`1250.50`). "
            "Float noise within 1e-9 of a cent is ignored; a finer amount is refused.",
            "examples": [1250.5, "1250.50"],
        }
    ),
]
KpiDate = Annotated[
    str,
    AfterValidator(_calendar_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"A day from {FIRST_DAY} to {LAST_DAY}.",
            "example": "2024-01-15",
        }
    ),
]
Timestamp = Annotated[
    UtcDateTime,
    BeforeValidator(_epoch_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "number", "minimum": 0, "maximum": 253402300799},
            ],
            "description": "ISO 8601, or seconds since 1970-01-01 UTC (never milliseconds)",
            "example": "2024-01-15T18:30:00Z",
        }
    ),
]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SOURCE), OneLine
]


# Marks the first field of a pair given neither or both ways, so that its own validation names
# it among the other fields' errors (a model validator would run only once they all pass).
UNPAIRED = object()


def mark_unpaired(data: Any, first: str, second: str) -> Any:
    if isinstance(data, dict) and (data.get(first) is None) == (data.get(second) is None):
        return {**data, first: UNPAIRED}
    return data


def paired(message: str) -> BeforeValidator:
    def check(value: object) -> object:
        if value is UNPAIRED:
            raise ValueError(message)
        return value

    return BeforeValidator(check)


class KpiEntryData(Input):
    """One seller's figures for the day; the seller by our id or by his external id."""

    seller_id: Annotated[
        Identifier | None,
        paired(messages.KPI_SELLER_REFERENCE),
        Field(description="Our id of the seller (or give seller_external_id)."),
    ] = None
    seller_external_id: Annotated[
        ExternalId | None,
        Field(description="The seller's external_id (instead of seller_id)."),
    ] = None
    ca_journalier: Amount
    nb_ventes: Count
    nb_articles: Count
    prospects: Annotated[Count, _null_is(0), Field(json_schema_extra=_or_null)] = 0
    timestamp: Timestamp | None = None

    @model_validator(mode="before")
    @classmethod
    def one_seller_reference(cls, data: Any) -> Any:
        return mark_unpaired(data, "seller_id", "seller_external_id")


def _appearing_twice(values: list[str | None]) -> list[str]:
    seen = Counter(value for value in values if value is not None)
    return sorted(value for value, times in seen.items() if times > 1)


class KpiSync(Input):
    """A batch of daily KPI entries for one store and one date; the store by our id or by its
    external id."""

    store_id: Annotated[
        Identifier | None,
        paired(messages.KPI_STORE_REFERENCE),
        Field(description="Our id of the store (or give store_external_id)."),
    ] = None
    store_external_id: Annotated[
        ExternalId | None,
        Field(description="The store's external_id (instead of store_id)."),
    ] = None
    date: KpiDate
    kpi_entries: list[KpiEntryData] = Field(min_length=1, max_length=MAX_ENTRIES)
    source: Annotated[Source, _null_is(DEFAULT_SOURCE), Field(json_schema_extra=_or_null)] = (
        DEFAULT_SOURCE
    )

    @model_validator(mode="before")
    @classmethod
    def one_store_reference(cls, data: Any) -> Any:
        return mark_unpaired(data, "store_id", "store_external_id")

    @field_validator("kpi_entries", mode="before")
    @classmethod
    def at_most_max_entries(cls, value: object) -> object:
        """Refuse an oversized batch before validating any of its entries."""
        if isinstance(value, list) and len(value) > MAX_ENTRIES:
            raise ValueError(
                messages.KPI_TOO_MANY_ENTRIES.format(count=len(value), maximum=MAX_ENTRIES)
            )
        return value

    @field_validator("kpi_entries")
    @classmethod
    def one_entry_per_seller(cls, entries: list[KpiEntryData]) -> list[KpiEntryData]:
        problems = []
        duplicates = _appearing_twice([entry.seller_id for entry in entries])
        if duplicates:
            problems.append(messages.KPI_DUPLICATE_SELLERS.format(ids=", ".join(duplicates)))
        duplicates = _appearing_twice([entry.seller_external_id for entry in entries])
        if duplicates:
            problems.append(
                messages.KPI_DUPLICATE_SELLER_EXTERNAL_IDS.format(ids=", ".join(duplicates))
            )
        if problems:
            raise ValueError("; ".join(problems))
        return entries


Entry = tuple[DayLine, datetime | None]  # a seller's line of the day, and its timestamp


@dataclass(frozen=True)
class KpiSyncCounts:
    """How many entries a sync created and how many it updated."""

    created: int
    updated: int

    status: ClassVar[str] = "success"

    @property
    def total(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class FoundSellers:
    """The sellers of one store among some references: their ids, by external id, and those
    whose KPI entries may be in other stores (`movers`)."""

    ids: set[str]
    by_external_id: dict[str, str]
    movers: set[str]


async def find_sellers(
    tenant: KpiTenant, store_id: str, ids: list[str], external_ids: list[str]
) -> FoundSellers:
    """Which of `ids` and `external_ids` name sellers of the store, in one query; movers are
    those who changed stores, or were stored before that was recorded."""
    query = tenant.sellers_of(store_id)
    if not external_ids:
        query["_id"] = {"$in": ids}
    else:
        conditions: list[dict[str, Any]] = [{"external_id": {"$in": external_ids}}]
        if ids:
            conditions.append({"_id": {"$in": ids}})
        query["$or"] = conditions
    fields = {"_id": 1, "external_id": 1, "moved": 1}
    found = await User.get_motor_collection().find(query, fields).to_list(None)
    wanted = set(external_ids)
    return FoundSellers(
        ids={document["_id"] for document in found},
        by_external_id={
            document["external_id"]: document["_id"]
            for document in found
            if document.get("external_id") in wanted
        },
        movers={document["_id"] for document in found if document.get("moved", True)},
    )


async def _seller_ids(
    actor: Actor, store: Store, entries: list[KpiEntryData]
) -> tuple[list[str], set[str]]:
    """Our id of each entry's seller, and the movers among them, in one query; 400 naming every
    reference that is not a seller of `store`, or a seller named twice (once by id, once by
    external id)."""
    ids = [entry.seller_id for entry in entries if entry.seller_id is not None]
    external_ids = [e.seller_external_id for e in entries if e.seller_external_id is not None]
    found = await find_sellers(tenant_of(actor), store.id, ids, external_ids)
    problems = []
    unknown = sorted(set(ids) - found.ids)
    if unknown:
        problems.append(messages.KPI_UNKNOWN_SELLERS.format(ids=", ".join(unknown)))
    unknown = sorted(set(external_ids) - set(found.by_external_id))
    if unknown:
        problems.append(messages.KPI_UNKNOWN_SELLER_EXTERNAL_IDS.format(ids=", ".join(unknown)))
    if problems:
        raise BadRequest("; ".join(problems))
    resolved = [
        entry.seller_id
        if entry.seller_id is not None
        else found.by_external_id[str(entry.seller_external_id)]
        for entry in entries
    ]
    twice = _appearing_twice(list(resolved))
    if twice:
        duplicates = messages.KPI_DUPLICATE_SELLERS.format(ids=", ".join(twice))
        raise BadRequest(f"kpi_entries: {duplicates}")
    return resolved, found.movers


def _new_entry(
    *, figures: dict[str, Any], seller_id: str, day: str, now: datetime
) -> dict[str, Any]:
    """An entry the sync's reads found nowhere, as inserted."""
    return {
        "_id": new_entry_id(),
        **figures,
        "seller_id": seller_id,
        "date": day,
        "created_at": now,
    }


def _update(
    *,
    tenant: KpiTenant,
    figures: dict[str, Any],
    seller_id: str,
    day: str,
    anywhere: bool,
    entries: str,
) -> UpdateOne:
    """The update of an entry the sync's reads found, keyed like the unique index: one entry per
    seller per date. It finds the seller's entry of the day in any store if `anywhere` (a
    mover's: it is moved to this store), else in this store only. An upsert still, should the
    entry have gone meanwhile."""
    where = {} if anywhere else {"store_id": figures["store_id"]}
    return UpdateOne(
        tenant.entries(**where, seller_id=seller_id, date=day),
        {
            "$set": figures,
            "$setOnInsert": {"_id": new_entry_id(), "created_at": figures["updated_at"]},
        },
        namespace=entries,
        upsert=True,
    )


def entry_of(seller_id: str, given: KpiEntryData) -> Entry:
    """An entry's figures, typed as the rollups and the day's checksum count them, and its
    timestamp."""
    line = DayLine(
        seller_id=seller_id,
        ca_journalier=given.ca_journalier,
        nb_ventes=given.nb_ventes,
        nb_articles=given.nb_articles,
        prospects=given.prospects,
    )
    return line, given.timestamp


def _write_failed(exc: PyMongoError) -> AppError:
    """A permanent write error is the request's (400); conflicts with other syncs that outlast
    every retry are transient, and not the caller's fault (503, to retry)."""
    if _lost_a_race(exc):
        logger.warning("KPI batch still conflicting after %d attempts: %s", MAX_ATTEMPTS, exc)
        return ServiceUnavailable(messages.KPI_WRITE_CONFLICT)
    logger.warning("KPI bulk write failed: %s", exc)
    return BadRequest(messages.KPI_WRITE_FAILED)


def _lost_a_race(exc: PyMongoError) -> bool:
    """Whether a concurrent write of the same entries aborted the transaction: worth retrying."""
    if exc.has_error_label(TRANSIENT_TRANSACTION_ERROR):
        return True
    if isinstance(exc, ClientBulkWriteException) and isinstance(exc.error, PyMongoError):
        return _lost_a_race(exc.error)  # the command's own (a write conflict)
    if isinstance(exc, ClientBulkWriteException | BulkWriteError):
        codes = {error.get("code") for error in exc.details.get("writeErrors", [])}
        return bool(codes) and codes <= RACE_CODES
    return False


@dataclass(frozen=True)
class Batch:
    """A store-day's writes: its entries and each seller's new line of the day, and the sellers
    whose entry of the day may be in another store (`movers`)."""

    tenant: KpiTenant
    store_id: str
    day: str
    source: str
    entries: Sequence[Entry]
    new: dict[str, DayLine]
    movers: frozenset[str]
    events: EventLog
    now: datetime
    owner: dict[str, Any]  # the tenant's and store's fields every entry of the batch stores

    def figures(self, entry: Entry) -> dict[str, Any]:
        """What the sync stores of one entry, its tenant first (all but its keys and
        creation)."""
        line, timestamp = entry
        return {
            **self.owner,
            "ca_journalier": stored_amount(line.ca_journalier),
            "nb_ventes": line.nb_ventes,
            "nb_articles": line.nb_articles,
            "prospects": line.prospects,
            "source": self.source,
            "timestamp": timestamp,
            "updated_at": self.now,
        }

    def new_entries(self, existing: Collection[str]) -> list[dict[str, Any]]:
        """The entries the reads found nowhere (not among `existing`), to insert."""
        return [
            _new_entry(figures=self.figures(entry), seller_id=seller_id, day=self.day, now=self.now)
            for entry in self.entries
            if (seller_id := entry[0].seller_id) not in existing
        ]

    def updates(self, movers: Collection[str], existing: Collection[str]) -> list[UpdateOne]:
        """The updates of the entries the reads found (in this store, or anywhere for
        `movers`)."""
        entries = namespace(KpiEntry)
        return [
            _update(
                tenant=self.tenant,
                figures=self.figures(entry),
                seller_id=seller_id,
                day=self.day,
                anywhere=seller_id in movers,
                entries=entries,
            )
            for entry in self.entries
            if (seller_id := entry[0].seller_id) in existing
        ]


# Written after a transaction's store-days, in it, knowing what they did (an import's checkpoint).
Then = Callable[[AsyncIOMotorClientSession, list[KpiSyncCounts]], Awaitable[None]]


def store_day_batch(
    *,
    tenant: KpiTenant,
    store_id: str,
    day: str,
    source: str,
    entries: Sequence[Entry],
    movers: Collection[str],
    events: EventLog,
) -> Batch:
    """The writes of one store-day's entries (one per seller), as a sync or an import makes them;
    `movers`: the sellers who may have an entry of the day in another store."""
    new = {line.seller_id: line for line, _ in entries}
    return Batch(
        tenant=tenant,
        store_id=store_id,
        day=day,
        source=source,
        entries=entries,
        new=new,
        movers=frozenset(movers) & new.keys(),
        events=events,
        now=utcnow(),
        owner=tenant.stored(store_id=store_id),
    )


def _synced(batch: Batch, counts: KpiSyncCounts, checksum: str) -> dict[str, Any]:
    """The `kpi.synced` event of a batch written."""
    synced = KpiSyncedDay(
        store_id=batch.store_id,
        date=batch.day,
        created=counts.created,
        updated=counts.updated,
        checksum=checksum,
    )
    return event_document(
        log=batch.events,
        gerant_id=batch.tenant.gerant_id,
        type=EventType.KPI_SYNCED,
        resource=synced,
    )


def _apart(batches: Sequence[Batch]) -> bool:
    """Whether no two batches touch one store-day or one seller's day (so that each one's
    reads, made before any is written, are what it would read alone)."""
    days = [(batch.store_id, batch.day) for batch in batches]
    sellers = [(seller_id, batch.day) for batch in batches for seller_id in batch.new]
    return len(set(days)) == len(days) and len(set(sellers)) == len(sellers)


async def _write(
    batches: Sequence[Batch], session: AsyncIOMotorClientSession, thorough: bool
) -> list[KpiSyncCounts]:
    """Store-days' entries, the store days they change and their `kpi.synced` events, in the
    transaction of `session`, in two commands whatever their number (`_apart` batches): the
    new entries' insert, then the rest across the three collections (`write_across`). What
    each store-day creates and updates is known from the reads before it: a write that finds
    otherwise (an entry committed meanwhile) fails the transaction, and it is tried again.
    Every seller is taken as a mover if `thorough`."""
    movers = [batch.new.keys() if thorough else batch.movers for batch in batches]
    rollups = [
        await rollup_writes(
            tenant=batch.tenant,
            store_id=batch.store_id,
            day=batch.day,
            new=batch.new,
            movers=its_movers,
            session=session,
        )
        for batch, its_movers in zip(batches, movers, strict=True)
    ]
    written = [day for rollup in rollups for day in rollup.days]
    if len(set(written)) < len(written):  # a seller moved out of another batch's store-day
        return [done for batch in batches for done in await _write([batch], session, thorough)]
    counts = [
        KpiSyncCounts(
            created=len(batch.new.keys() - rollup.existing),
            updated=len(batch.new.keys() & rollup.existing),
        )
        for batch, rollup in zip(batches, rollups, strict=True)
    ]
    recorded = [
        InsertOne(_synced(batch, done, rollup.checksum), namespace=namespace(Event))
        for batch, done, rollup in zip(batches, counts, rollups, strict=True)
    ]
    new = [
        entry
        for batch, rollup in zip(batches, rollups, strict=True)
        for entry in batch.new_entries(rollup.existing)
    ]
    updates = [
        update
        for batch, its_movers, rollup in zip(batches, movers, rollups, strict=True)
        for update in batch.updates(its_movers, rollup.existing)
    ]
    writes = [*updates, *(write for rollup in rollups for write in rollup.writes), *recorded]
    await transactions.write_across(KpiEntry, writes, session, inserts=new)
    return counts


async def _apply(
    batches: Sequence[Batch], then: Then | None, thorough: bool
) -> list[KpiSyncCounts]:
    """Every batch's writes and events, then `then`, in one transaction: all applied, or none."""
    async with transactions.transaction(KpiEntry) as session:
        if _apart(batches):
            counts = await _write(batches, session, thorough)
        else:
            counts = [
                done for batch in batches for done in await _write([batch], session, thorough)
            ]
        if then is not None:
            await then(session, counts)
    for done in counts:
        KPI_ENTRIES_WRITTEN.labels("created").inc(done.created)
        KPI_ENTRIES_WRITTEN.labels("updated").inc(done.updated)
    return counts


async def write_store_days(
    batches: Sequence[Batch], *, then: Then | None = None
) -> list[KpiSyncCounts]:
    """Several validated store-days written in one transaction (all or nothing), each with its
    `kpi.synced` event, and `then` (an import's checkpoint) after them; retried whole after a
    short random pause while concurrent syncs of the same store-days conflict, and then with
    every seller taken as a mover (a seller's entry found in another store fails the first)."""
    attempt = 1
    while True:
        try:
            return await _apply(batches, then, thorough=attempt > 1)
        except PyMongoError as exc:
            if as_app_error(exc) is not None:
                raise
            if attempt >= MAX_ATTEMPTS or not _lost_a_race(exc):
                raise _write_failed(exc) from None
        await asyncio.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2**attempt))
        attempt += 1


async def _store_of(actor: Actor, data: KpiSync) -> Store:
    """The active store the batch names, by our id or by its external id."""
    if data.store_id is not None:
        return await get_active_store(actor=actor, store_id=data.store_id)
    external_id = str(data.store_external_id)
    return require_active(await get_store_by_external_id(actor=actor, external_id=external_id))


async def sync_kpis(
    *, actor: Actor, data: KpiSync, events: EventLog = DEFAULT_EVENT_LOG
) -> KpiSyncCounts:
    """Create or update one entry per seller for the date; any wrong seller: nothing written."""
    actor.require(Permission.KPI_WRITE)
    store = await _store_of(actor, data)
    seller_ids, movers = await _seller_ids(actor, store, data.kpi_entries)
    entries = [
        entry_of(seller_id, given)
        for seller_id, given in zip(seller_ids, data.kpi_entries, strict=True)
    ]
    batch = store_day_batch(
        tenant=tenant_of(actor),
        store_id=store.id,
        day=data.date,
        source=data.source,
        entries=entries,
        movers=movers,
        events=events,
    )
    [counts] = await write_store_days([batch])
    return counts
