"""Daily KPI sync: the batch validated, sellers checked in one query, one transactional upsert."""

import asyncio
import logging
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from bson import Decimal128
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, PyMongoError

from infra.metrics import KPI_ENTRIES_WRITTEN
from models import KpiEntry, Role, Store, User, transactions
from models.clock import UtcDateTime, utcnow
from models.ids import new_id
from models.user import NOT_DELETED
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import AppError, BadRequest, ServiceUnavailable, as_app_error
from resolvers.inputs import Identifier, Input
from resolvers.permissions import Permission
from resolvers.stores import get_active_store

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
DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
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


def _exact_decimal(value: object) -> object:
    """A float becomes the decimal it was written as (0.1 → Decimal("0.1")), not its binary."""
    value = _number(value)
    return Decimal(repr(value)) if isinstance(value, float) else value


def _in_cents(value: Decimal) -> Decimal:
    """Two decimal places, so equal amounts are stored alike; abs() only turns -0 into 0."""
    return abs(value).quantize(CENT)


def _calendar_date(value: str) -> str:
    """`YYYY-MM-DD` naming a day that exists; kept as the string it was given."""
    if not DATE_FORMAT.fullmatch(value):
        raise ValueError(messages.KPI_INVALID_DATE)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(messages.KPI_INVALID_DATE) from None
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
    BeforeValidator(_exact_decimal),
    AfterValidator(_in_cents),
    WithJsonSchema({"type": "number", "minimum": 0, "multipleOf": 0.01, "example": 1250.5}),
]
KpiDate = Annotated[
    str,
    AfterValidator(_calendar_date),
    WithJsonSchema({"type": "string", "format": "date", "example": "2024-01-15"}),
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
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SOURCE)
]


class KpiEntryData(Input):
    """One seller's figures for the day."""

    seller_id: Identifier
    ca_journalier: Amount
    nb_ventes: Count
    nb_articles: Count
    prospects: Annotated[Count, _null_is(0), Field(json_schema_extra=_or_null)] = 0
    timestamp: Timestamp | None = None


class KpiSync(Input):
    """A batch of daily KPI entries for one store and one date."""

    store_id: Identifier
    date: KpiDate
    kpi_entries: list[KpiEntryData] = Field(min_length=1, max_length=MAX_ENTRIES)
    source: Annotated[Source, _null_is(DEFAULT_SOURCE), Field(json_schema_extra=_or_null)] = (
        DEFAULT_SOURCE
    )

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
        seen = Counter(entry.seller_id for entry in entries)
        duplicates = sorted(seller_id for seller_id, times in seen.items() if times > 1)
        if duplicates:
            raise ValueError(messages.KPI_DUPLICATE_SELLERS.format(ids=", ".join(duplicates)))
        return entries


@dataclass(frozen=True)
class KpiSyncCounts:
    """How many entries a sync created and how many it updated."""

    created: int
    updated: int

    status: ClassVar[str] = "success"

    @property
    def total(self) -> int:
        return self.created + self.updated


def store_sellers(actor: Actor, store_id: str) -> dict[str, Any]:
    """The filter of the users KPIs may be recorded for: the store's sellers, unless deleted."""
    return {
        "gerant_id": actor.gerant_id,
        "store_id": store_id,
        "role": Role.SELLER.value,
        "status": NOT_DELETED,
    }


async def _require_store_sellers(actor: Actor, store: Store, seller_ids: list[str]) -> None:
    """Raise 400 naming every id that is not a seller of `store`, in one query."""
    query = {**store_sellers(actor, store.id), "_id": {"$in": seller_ids}}
    found = set(await User.distinct("_id", query))
    unknown = sorted(set(seller_ids) - found)
    if unknown:
        raise BadRequest(messages.KPI_UNKNOWN_SELLERS.format(ids=", ".join(unknown)))


def _upsert(
    *, actor: Actor, store: Store, data: KpiSync, entry: KpiEntryData, now: datetime
) -> UpdateOne:
    """The upsert of one entry, keyed like the unique index: one entry per seller per date."""
    return UpdateOne(
        {"seller_id": entry.seller_id, "date": data.date},
        {
            "$set": {
                "gerant_id": actor.gerant_id,
                "store_id": store.id,
                "ca_journalier": Decimal128(entry.ca_journalier),
                "nb_ventes": entry.nb_ventes,
                "nb_articles": entry.nb_articles,
                "prospects": entry.prospects,
                "source": data.source,
                "timestamp": entry.timestamp,
                "updated_at": now,
            },
            "$setOnInsert": {"_id": new_id("kpi"), "created_at": now},
        },
        upsert=True,
    )


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
    if isinstance(exc, BulkWriteError):
        codes = {error.get("code") for error in exc.details.get("writeErrors", [])}
        return bool(codes) and codes <= RACE_CODES
    return False


async def _apply(operations: list[UpdateOne]) -> KpiSyncCounts:
    """Every upsert in one transaction: if any fails, none of them is applied."""
    async with transactions.transaction(KpiEntry) as session:
        result = await KpiEntry.get_motor_collection().bulk_write(operations, session=session)
    counts = KpiSyncCounts(created=result.upserted_count, updated=result.matched_count)
    KPI_ENTRIES_WRITTEN.labels("created").inc(counts.created)
    KPI_ENTRIES_WRITTEN.labels("updated").inc(counts.updated)
    return counts


async def _upsert_all(operations: list[UpdateOne]) -> KpiSyncCounts:
    """The batch, retried whole after a short random pause while concurrent syncs conflict."""
    attempt = 1
    while True:
        try:
            return await _apply(operations)
        except PyMongoError as exc:
            if as_app_error(exc) is not None:
                raise
            if attempt >= MAX_ATTEMPTS or not _lost_a_race(exc):
                raise _write_failed(exc) from None
        await asyncio.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2**attempt))
        attempt += 1


async def sync_kpis(*, actor: Actor, data: KpiSync) -> KpiSyncCounts:
    """Create or update one entry per seller for the date; any wrong seller: nothing written."""
    actor.require(Permission.KPI_WRITE)
    store = await get_active_store(actor=actor, store_id=data.store_id)
    await _require_store_sellers(actor, store, [entry.seller_id for entry in data.kpi_entries])
    now = utcnow()
    return await _upsert_all(
        [
            _upsert(actor=actor, store=store, data=data, entry=entry, now=now)
            for entry in data.kpi_entries
        ]
    )
