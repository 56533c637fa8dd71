"""Stores: listing within the key's scope, creation, updates, soft deletion with staff
suspension, and reopening."""

from datetime import datetime
from typing import Annotated, Any

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import AfterValidator, Field, field_validator
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound, duplicate_key_fields
from contract.event_types import EventType
from contract.inputs import (
    ExternalId,
    Identifier,
    Input,
    Instant,
    Name,
    Phone,
    Text,
    omittable,
)
from contract.permissions import Permission
from contract.representations import previous_attributes, store_out, user_out
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from models import Event, Store, User, UserStatus
from models.clock import utcnow
from models.ids import is_id
from models.operations import insert_once
from models.reading import find_one_trusted, find_trusted
from models.store import UPDATED_INDEX, name_key
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.events import new_event, record, record_all
from resolvers.pagination import Page, check_page_size, page_of


class StoreCreate(Input):
    name: Name
    location: Name
    address: Text | None = None
    phone: Phone | None = None
    opening_hours: Text | None = None
    external_id: ExternalId | None = None


class StoreFilter(Input):
    """Which stores to list: all the caller may read, or the one with `external_id`, or those
    changed since a moment."""

    external_id: ExternalId | None = Field(
        default=None, description="Only the store with this external_id"
    )
    updated_since: Instant | None = Field(
        default=None,
        description="Only the stores whose updated_at is at or after this moment (ISO 8601, "
        "`Z` or an offset): the latest updated_at you have seen",
        examples=["2024-01-15T10:00:00Z"],
    )


class StoreUpdate(Input):
    """The updatable fields; only those present are applied. `active: true` reopens a store."""

    name: Name | None = Field(default=None, json_schema_extra=omittable)
    location: Name | None = Field(default=None, json_schema_extra=omittable)
    address: Text | None = None
    phone: Phone | None = None
    opening_hours: Text | None = None
    external_id: ExternalId | None = None
    active: bool | None = Field(default=None, json_schema_extra=omittable)

    @field_validator("name", "location", "active")
    @classmethod
    def not_null(cls, value: object) -> object:
        """A name, location or state may be left out, never cleared."""
        if value is None:
            raise ValueError(messages.FIELD_NOT_NULLABLE)
        return value


def taken(exc: DuplicateKeyError) -> BadRequest:
    """The 400 a unique index on stores answers with: a name or an external id in use."""
    if "name_key" in duplicate_key_fields(exc):
        return BadRequest(messages.STORE_NAME_TAKEN)
    return BadRequest(messages.STORE_EXTERNAL_ID_TAKEN)


def _store_id(value: str) -> str:
    if not is_id("store", value):
        raise ValueError(messages.STORE_ID_MALFORMED)
    return value


# An id the caller names as a store's: anything not shaped like one is a 400, not a miss.
StoreId = Annotated[Identifier, AfterValidator(_store_id)]


def _filtered(actor: Actor, filter: StoreFilter | None) -> dict[str, Any]:
    """The query of the stores the caller may read that match `filter`.

    `updated_since` is inclusive: a reader who keeps the latest `updated_at` he saw (written
    to the second) and asks again from it never misses a store written later in that same
    second, at the price of reading the last ones again.
    """
    actor.require(Permission.STORES_READ)
    query = scopes.readable_stores(actor)
    if filter is not None and filter.external_id is not None:
        query["external_id"] = filter.external_id
    if filter is not None and filter.updated_since is not None:
        query["updated_at"] = {"$gte": filter.updated_since}
    return query


async def list_stores(*, actor: Actor, filter: StoreFilter | None = None) -> list[Store]:
    """Every store the key may read, deactivated ones included, oldest first; or those the
    filter names (`external_id`, `updated_since`)."""
    return await find_trusted(Store, _filtered(actor, filter), [("created_at", 1), ("_id", 1)])


async def page_of_stores(
    *, actor: Actor, filter: StoreFilter | None, first: int, after: str | None
) -> Page[Store]:
    """The stores `list_stores` gives, by id (ids are time-ordered: oldest first), `first` at a
    time after the store `after`, which must be one the caller reads (400 otherwise: another
    tenant's and an unknown id answer alike)."""
    query = _filtered(actor, filter)
    check_page_size(first)
    if after is not None:
        # One of the stores the caller reads, matching the filter or not (an external_id
        # changed between two pages leaves the position valid).
        known = (
            actor.can_access_store(after)
            and await Store.find(scopes.stores(actor.gerant_id, _id=after)).count()
        )
        if not known:
            raise BadRequest(messages.STARTING_AFTER_UNKNOWN)
        query["_id"] = {**query.get("_id", {}), "$gt": after}
    # SecantusDB's planner scans the collection for `updated_at` beside an `_id` range: name
    # the index (the changed stores are the few to read).
    hint = UPDATED_INDEX if "updated_at" in query else None
    found = await find_trusted(Store, query, [("_id", 1)], limit=first + 1, hint=hint)
    return page_of(found, first, store_key)


def store_key(store: Store) -> tuple[str]:
    """Where a store stands in a page of stores: its id."""
    return (store.id,)


async def get_store(*, actor: Actor, store_id: str) -> Store:
    """One store the caller may read (permission stores:read), deactivated or not: 403 outside
    the caller's stores, 404 if the tenant has none with this id."""
    actor.require(Permission.STORES_READ)
    return await get_tenant_store(actor=actor, store_id=store_id)


async def stores_by_ids(*, actor: Actor, store_ids: list[str]) -> dict[str, Store]:
    """The stores among `store_ids` that the caller may read (permission stores:read), by id,
    in one query; the others are left out."""
    actor.require(Permission.STORES_READ)
    query = scopes.readable_stores(actor)
    query["_id"] = {"$in": sorted(set(actor.scoped_store_ids(store_ids)))}
    return {store.id: store for store in await find_trusted(Store, query, [("_id", 1)])}


async def require_readable(*, actor: Actor, store_ids: list[str]) -> None:
    """Raise unless the caller may read each of `store_ids` (in one query, whatever his
    permissions: a seller names his own store): 403 outside his scope, 404 for a store his
    tenant does not have (another tenant's is unknown here)."""
    for store_id in store_ids:
        actor.require_store(store_id)
    query = scopes.readable_stores(actor)
    query["_id"] = {"$in": sorted(set(store_ids))}
    if await Store.find(query).count() < len(set(store_ids)):
        raise NotFound(messages.STORE_NOT_FOUND)


async def create_store(
    *, actor: Actor, data: StoreCreate, events: EventLog = DEFAULT_EVENT_LOG
) -> Store:
    """Create a store in the tenant; names are unique among active stores, external ids always."""
    actor.require(Permission.STORES_WRITE)
    if actor.is_store_restricted:
        raise Forbidden(messages.STORE_NOT_IN_KEY_SCOPE)
    store = Store(
        gerant_id=actor.gerant_id,
        name=data.name,
        name_key=name_key(data.name),
        location=data.location,
        address=data.address,
        phone=data.phone,
        opening_hours=data.opening_hours,
        external_id=data.external_id,
    )

    async def created(session: AsyncIOMotorClientSession) -> None:
        await record(
            session,
            log=events,
            gerant_id=store.gerant_id,
            type=EventType.STORE_CREATED,
            resource=store_out(store),
        )

    try:
        return await insert_once(store, then=created)
    except DuplicateKeyError as exc:
        raise taken(exc) from None


async def get_tenant_store(*, actor: Actor, store_id: str) -> Store:
    """The tenant's store `store_id` within the key's scope: 403 outside it, 404 if unknown."""
    actor.require_store(store_id)
    store = await find_one_trusted(Store, scopes.stores(actor.gerant_id, _id=store_id))
    if store is None:
        raise NotFound(messages.STORE_NOT_FOUND)
    return store


async def get_store_by_external_id(*, actor: Actor, external_id: str) -> Store:
    """The tenant's store with `external_id`: 404 if none, 403 outside the key's scope."""
    store = await find_one_trusted(Store, scopes.stores(actor.gerant_id, external_id=external_id))
    if store is None:
        raise NotFound(messages.STORE_NOT_FOUND)
    actor.require_store(store.id)
    return store


def require_active(store: Store) -> Store:
    """`store`, unless deactivated: then a 400."""
    if not store.active:
        raise BadRequest(messages.STORE_INACTIVE)
    return store


async def get_active_store(*, actor: Actor, store_id: str) -> Store:
    """Like get_tenant_store, but a deactivated store is a 400."""
    return require_active(await get_tenant_store(actor=actor, store_id=store_id))


async def update_store(
    *, actor: Actor, store_id: str, data: StoreUpdate, events: EventLog = DEFAULT_EVENT_LOG
) -> Store:
    """Apply the fields present in `data`; names and external ids stay unique as at creation.

    `active: false` closes the store as a deletion does (its active staff are suspended);
    `active: true` reopens it, its suspended staff staying suspended until updated.
    """
    actor.require(Permission.STORES_WRITE)
    if not data.model_fields_set:
        raise BadRequest(messages.NO_FIELDS_TO_UPDATE)
    store = await get_tenant_store(actor=actor, store_id=store_id)
    changes: dict[str, Any] = {**data.model_dump(include=data.model_fields_set)}
    if data.name is not None:
        changes["name_key"] = name_key(data.name)
    changes["updated_at"] = utcnow()

    async def apply(session: AsyncIOMotorClientSession) -> Store:
        before = await _change(session, actor, {"_id": store.id}, changes)
        if before is None:
            raise NotFound(messages.STORE_NOT_FOUND)
        after: Store = before.model_copy(update=changes)
        updated = new_event(
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.STORE_UPDATED,
            resource=store_out(after),
            previous_attributes=previous_attributes(store_out(before), store_out(after)),
        )
        suspended = []
        if data.active is False:
            suspended = await suspend_staff(
                session, actor=actor, store=after, now=changes["updated_at"], events=events
            )
        await record_all(session, [updated, *suspended])
        return after

    try:
        return await run_in_transaction(Store, apply)
    except DuplicateKeyError as exc:
        raise taken(exc) from None


async def _change(
    session: AsyncIOMotorClientSession, actor: Actor, which: dict[str, Any], changes: dict[str, Any]
) -> Store | None:
    """Apply `changes` to the tenant's store matching `which`; the store as it was before."""
    before = await Store.get_motor_collection().find_one_and_update(
        scopes.stores(actor.gerant_id, **which),
        {"$set": changes},
        return_document=ReturnDocument.BEFORE,
        session=session,
    )
    return None if before is None else Store.model_validate(before)


async def delete_store(*, actor: Actor, store_id: str, events: EventLog = DEFAULT_EVENT_LOG) -> str:
    """Soft-delete a store and suspend its active staff; history is kept; repeating is harmless
    (a closed store is left as it is, and records no second event)."""
    actor.require(Permission.STORES_WRITE)
    store = await get_tenant_store(actor=actor, store_id=store_id)
    now = utcnow()
    changes = {"active": False, "updated_at": now}

    async def close(session: AsyncIOMotorClientSession) -> None:
        before = await _change(session, actor, {"_id": store.id, "active": True}, changes)
        if before is None:
            return
        closed = before.model_copy(update=changes)
        deleted = new_event(
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.STORE_DELETED,
            resource=store_out(closed),
        )
        suspended = await suspend_staff(session, actor=actor, store=closed, now=now, events=events)
        await record_all(session, [deleted, *suspended])

    await run_in_transaction(Store, close)
    return messages.STORE_DELETED


async def suspend_staff(
    session: AsyncIOMotorClientSession,
    *,
    actor: Actor,
    store: Store,
    now: datetime,
    events: EventLog,
) -> list[Event]:
    """Suspend the active managers and sellers of a store being closed, in the closing's
    transaction; a `user.updated` event for each, for the caller to record."""
    active = scopes.staff(actor.gerant_id, store_id=store.id, status=UserStatus.ACTIVE.value)
    users = User.get_motor_collection()
    found = [User.model_validate(raw) async for raw in users.find(active, session=session)]
    if not found:
        return []
    changes = {"status": UserStatus.SUSPENDED, "updated_at": now}
    await users.update_many(
        active, {"$set": {**changes, "status": UserStatus.SUSPENDED.value}}, session=session
    )
    return [
        new_event(
            log=events,
            gerant_id=actor.gerant_id,
            type=EventType.USER_UPDATED,
            resource=user_out(suspended),
            previous_attributes=previous_attributes(user_out(user), user_out(suspended)),
        )
        for user in found
        for suspended in [user.model_copy(update=changes)]
    ]
