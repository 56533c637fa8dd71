"""Integration API keys: creation (the plaintext is returned once), revocation, self-description."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from motor.motor_asyncio import AsyncIOMotorClientSession
from pydantic import Field, field_validator
from pymongo import ReturnDocument

from contract import messages
from contract.actor import Actor
from contract.errors import BadRequest, Forbidden, NotFound
from contract.event_types import EventType
from contract.inputs import MAX_ID, Input, Name
from contract.permissions import ALL_PERMISSIONS, ALL_STORES
from contract.representations import api_key_out, previous_attributes
from infra.api_key_format import display_prefix, generate_key, hash_key
from infra.event_log import DEFAULT_EVENT_LOG, EventLog
from infra.key_directory import KeyDirectory
from models import ApiKey, Store, User
from models.clock import utcnow
from models.operations import Then, insert_once, next_operation_id
from models.reading import find_one_trusted
from models.transactions import run_in_transaction
from resolvers import scopes
from resolvers.events import new_event, record, record_all

MAX_EXPIRY_DAYS = 3650
MAX_GRACE_DAYS = 90
DEFAULT_GRACE_DAYS = 7
MAX_PERMISSION = 50
MAX_STORES_PER_KEY = 1000


class ApiKeyCreate(Input):
    name: Name
    permissions: list[Annotated[str, Field(max_length=MAX_PERMISSION)]] = Field(
        min_length=1, max_length=len(ALL_PERMISSIONS)
    )
    store_ids: list[Annotated[str, Field(max_length=MAX_ID)]] | None = Field(
        default=None, max_length=MAX_STORES_PER_KEY
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=MAX_EXPIRY_DAYS)

    @field_validator("permissions")
    @classmethod
    def known_permissions(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ALL_PERMISSIONS))
        if unknown:
            raise ValueError(messages.UNKNOWN_PERMISSIONS.format(names=", ".join(unknown)))
        return sorted(set(value), key=ALL_PERMISSIONS.index)

    @field_validator("store_ids")
    @classmethod
    def wildcard_means_all(cls, value: list[str] | None) -> list[str] | None:
        if value is None or ALL_STORES in value:
            return None
        return list(dict.fromkeys(value))


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key: the plaintext exists only in this object, returned once."""

    key: str
    api_key: ApiKey


async def _check_tenant_stores(gerant_id: str, store_ids: list[str]) -> None:
    found = await Store.find(scopes.stores(gerant_id, _id={"$in": store_ids})).to_list()
    missing = sorted(set(store_ids) - {store.id for store in found})
    if missing:
        raise BadRequest(messages.UNKNOWN_STORE_IDS.format(ids=", ".join(missing)))


async def create_api_key(
    *, gerant: User, spec: ApiKeyCreate, events: EventLog = DEFAULT_EVENT_LOG
) -> CreatedApiKey:
    """Create a key for the gérant's tenant; only its hash and display prefix are stored."""
    if spec.store_ids:
        await _check_tenant_stores(gerant.gerant_id, spec.store_ids)
    new = _new_key(
        gerant_id=gerant.gerant_id,
        name=spec.name,
        permissions=spec.permissions,
        store_ids=spec.store_ids,
        lifetime_days=spec.expires_in_days,
    )

    async def created(session: AsyncIOMotorClientSession) -> None:
        await record(
            session,
            log=events,
            gerant_id=new.api_key.gerant_id,
            type=EventType.API_KEY_CREATED,
            resource=api_key_out(new.api_key),
        )

    return await _insert_key(new, then=created)


async def create_session_api_key(
    *, actor: Actor, spec: ApiKeyCreate, events: EventLog = DEFAULT_EVENT_LOG
) -> CreatedApiKey:
    """Create a key from the console or GraphiQL: a logged-in gérant only."""
    return await create_api_key(gerant=actor.require_gerant_session(), spec=spec, events=events)


def _new_key(
    *,
    gerant_id: str,
    name: str,
    permissions: list[str],
    store_ids: list[str] | None,
    lifetime_days: int | None,
) -> CreatedApiKey:
    """A new key (not yet stored) living `lifetime_days` from now (None: until deactivated)."""
    key = generate_key()
    expires_at = utcnow() + timedelta(days=lifetime_days) if lifetime_days else None
    api_key = ApiKey(
        gerant_id=gerant_id,
        name=name,
        prefix=display_prefix(key),
        key_hash=hash_key(key),
        permissions=permissions,
        store_ids=store_ids,
        expires_at=expires_at,
        lifetime_days=lifetime_days,
    )
    return CreatedApiKey(key=key, api_key=api_key)


async def _insert_key(new: CreatedApiKey, *, then: Then) -> CreatedApiKey:
    """Store a new key, `then` (its events) in the same transaction."""
    stored = await insert_once(new.api_key, then=then)
    if stored.key_hash != new.api_key.key_hash:
        await _rekey(stored, new.api_key)
    return CreatedApiKey(key=new.key, api_key=stored)


async def _rekey(earlier: ApiKey, new: ApiKey) -> None:
    """Give the key an earlier attempt of this operation made the secret made now: that
    attempt's key was never shown (an answer is recorded before it is sent, and a recorded one
    is replayed, not run again), and only this one will be."""
    secret = {"key_hash": new.key_hash, "prefix": new.prefix}
    await ApiKey.get_motor_collection().update_one(
        scopes.api_keys(earlier.gerant_id, _id=earlier.id, operation_id=earlier.operation_id),
        {"$set": secret},
    )
    earlier.key_hash, earlier.prefix = new.key_hash, new.prefix


async def revoke_api_key(
    *, key_id: str, keys: KeyDirectory, events: EventLog = DEFAULT_EVENT_LOG
) -> ApiKey:
    """Deactivate any key by id (operator action from the CLI)."""
    api_key = await ApiKey.get(key_id)
    if api_key is None:
        raise NotFound(messages.API_KEY_NOT_FOUND)
    return await _deactivate(api_key, keys, events)


async def _deactivate(api_key: ApiKey, keys: KeyDirectory, events: EventLog) -> ApiKey:
    """Deactivate the key, with its `api_key.deactivated` event unless it was inactive already."""

    async def deactivate(session: AsyncIOMotorClientSession) -> None:
        changed = await ApiKey.get_motor_collection().update_one(
            scopes.api_keys(api_key.gerant_id, _id=api_key.id, active=True),
            {"$set": {"active": False}},
            session=session,
        )
        if changed.modified_count:
            await record(
                session,
                log=events,
                gerant_id=api_key.gerant_id,
                type=EventType.API_KEY_DEACTIVATED,
                resource=api_key_out(api_key),
            )

    await run_in_transaction(ApiKey, deactivate)
    keys.drop(api_key.id)
    api_key.active = False
    return api_key


async def _tenant_key(actor: Actor, key_id: str) -> ApiKey:
    gerant = actor.require_gerant_session()
    api_key = await ApiKey.find_one(scopes.api_keys(gerant.gerant_id, _id=key_id))
    if api_key is None:
        raise NotFound(messages.API_KEY_NOT_FOUND)
    return api_key


async def list_api_keys(*, actor: Actor) -> list[ApiKey]:
    """The gérant's keys, newest first (never the keys themselves: only hashes are stored)."""
    gerant = actor.require_gerant_session()
    found = ApiKey.find(scopes.api_keys(gerant.gerant_id)).sort("-created_at", "-_id")
    return await found.to_list()


async def deactivate_api_key(
    *, actor: Actor, key_id: str, keys: KeyDirectory, events: EventLog = DEFAULT_EVENT_LOG
) -> ApiKey:
    """Deactivate one of the gérant's keys; it is refused from then on."""
    return await _deactivate(await _tenant_key(actor, key_id), keys, events)


def lifetime_days(api_key: ApiKey) -> int | None:
    """The lifetime a key was given, in days; for keys made before it was recorded, the days
    from its creation to its expiry."""
    if api_key.lifetime_days is not None or api_key.expires_at is None:
        return api_key.lifetime_days
    return max(1, round((api_key.expires_at - api_key.created_at) / timedelta(days=1)))


async def _replaced_by_this_operation(old: ApiKey) -> bool:
    """Whether the key replacing `old` is the one this rotation is about to create: an earlier
    attempt of it got that far before its answer was lost."""
    replacement = await ApiKey.find_one(
        scopes.api_keys(old.gerant_id, _id=old.replaced_by, operation_id=next_operation_id())
    )
    return replacement is not None


def grace_period(grace_days: int | None, grace_hours: int | None) -> timedelta:
    """How long a replaced key keeps working: `grace_days` or `grace_hours` (one of them, up to
    90 days either way; hours let the console end it in an hour), 7 days when neither is given."""
    if grace_days is not None and grace_hours is not None:
        raise BadRequest(messages.GRACE_DAYS_OR_HOURS)
    if grace_hours is not None:
        if not 0 <= grace_hours <= MAX_GRACE_DAYS * 24:
            raise BadRequest(messages.GRACE_HOURS_RANGE.format(maximum=MAX_GRACE_DAYS * 24))
        return timedelta(hours=grace_hours)
    days = DEFAULT_GRACE_DAYS if grace_days is None else grace_days
    if not 0 <= days <= MAX_GRACE_DAYS:
        raise BadRequest(messages.GRACE_DAYS_RANGE.format(maximum=MAX_GRACE_DAYS))
    return timedelta(days=days)


async def rotate_api_key(
    *,
    actor: Actor,
    key_id: str,
    grace_days: int | None,
    keys: KeyDirectory,
    grace_hours: int | None = None,
    events: EventLog = DEFAULT_EVENT_LOG,
) -> CreatedApiKey:
    """A new key with the same settings and a full lifetime from now; the old one keeps working
    for the grace period (`grace_period`), then 401. Records `api_key.created` for the new key
    and `api_key.rotated` for the old one (its new expiry in `previous_attributes`)."""
    grace = grace_period(grace_days, grace_hours)
    old = await _tenant_key(actor, key_id)
    if not old.active:
        raise BadRequest(messages.API_KEY_INACTIVE_CANNOT_ROTATE)
    if old.replaced_by is not None and not await _replaced_by_this_operation(old):
        raise BadRequest(messages.API_KEY_ALREADY_ROTATED)
    new = _new_key(
        gerant_id=old.gerant_id,
        name=old.name,
        permissions=old.permissions,
        store_ids=old.store_ids,
        lifetime_days=lifetime_days(old),
    )
    now = utcnow()
    grace_end = now + grace
    replaced: dict[str, object] = {"replaced_by": new.api_key.id, "replaced_at": now}
    if old.expires_at is None or old.expires_at > grace_end:
        replaced["expires_at"] = grace_end

    async def replace_old(session: AsyncIOMotorClientSession) -> None:
        # Conditional, so that of two rotations of one key at the same time only one wins (the
        # loser's transaction, its new key with it, is aborted).
        before = await ApiKey.get_motor_collection().find_one_and_update(
            scopes.api_keys(old.gerant_id, _id=old.id, replaced_by={"$in": [None, new.api_key.id]}),
            {"$set": replaced},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        if before is None:
            raise BadRequest(messages.API_KEY_ALREADY_ROTATED)
        was = api_key_out(ApiKey.model_validate(before))
        rotated = api_key_out(ApiKey.model_validate({**before, **replaced}))
        recorded = [
            new_event(
                log=events,
                gerant_id=old.gerant_id,
                type=EventType.API_KEY_CREATED,
                resource=api_key_out(new.api_key),
            ),
            new_event(
                log=events,
                gerant_id=old.gerant_id,
                type=EventType.API_KEY_ROTATED,
                resource=rotated,
                previous_attributes=previous_attributes(was, rotated),
            ),
        ]
        await record_all(session, recorded)

    created = await _insert_key(new, then=replace_old)
    keys.drop(old.id)
    return created


@dataclass(frozen=True)
class KeyDescription:
    api_key: ApiKey
    gerant: User


async def describe_key(*, actor: Actor) -> KeyDescription:
    """What the calling key can do, and whose tenant it belongs to."""
    if actor.api_key is None:
        raise Forbidden(messages.API_KEY_REQUIRED)
    gerant = await find_one_trusted(User, scopes.users(actor.gerant_id, _id=actor.gerant_id))
    if gerant is None:
        raise NotFound(messages.GERANT_NOT_FOUND)
    return KeyDescription(api_key=actor.api_key, gerant=gerant)
