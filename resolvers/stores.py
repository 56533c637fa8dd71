"""Stores: listing within the key's scope, creation, soft deletion with staff suspension."""

from typing import Any

from pymongo.errors import DuplicateKeyError

from models import Role, Store, User, UserStatus
from models.clock import utcnow
from models.reading import find_trusted
from models.store import name_key
from resolvers import messages
from resolvers.actor import Actor
from resolvers.errors import BadRequest, Forbidden, NotFound, duplicate_key_fields
from resolvers.inputs import ExternalId, Input, Name, Phone, Text
from resolvers.permissions import Permission


class StoreCreate(Input):
    name: Name
    location: Name
    address: Text | None = None
    phone: Phone | None = None
    opening_hours: Text | None = None
    external_id: ExternalId | None = None


def readable_stores(actor: Actor) -> dict[str, Any]:
    """The filter of the stores this actor may see: its tenant, narrowed to the key's store_ids."""
    query: dict[str, Any] = {"gerant_id": actor.gerant_id}
    if actor.store_ids is not None:
        query["_id"] = {"$in": sorted(actor.store_ids)}
    return query


async def list_stores(*, actor: Actor) -> list[Store]:
    """Every store the key may read, deactivated ones included, oldest first."""
    actor.require(Permission.STORES_READ)
    return await find_trusted(Store, readable_stores(actor), [("created_at", 1), ("_id", 1)])


async def create_store(*, actor: Actor, data: StoreCreate) -> Store:
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
    try:
        await store.insert()
    except DuplicateKeyError as exc:
        if "name_key" in duplicate_key_fields(exc):
            raise BadRequest(messages.STORE_NAME_TAKEN) from None
        raise BadRequest(messages.STORE_EXTERNAL_ID_TAKEN) from None
    return store


async def get_tenant_store(*, actor: Actor, store_id: str) -> Store:
    """The tenant's store `store_id` within the key's scope: 403 outside it, 404 if unknown."""
    actor.require_store(store_id)
    store = await Store.find_one({"_id": store_id, "gerant_id": actor.gerant_id})
    if store is None:
        raise NotFound(messages.STORE_NOT_FOUND)
    return store


async def get_active_store(*, actor: Actor, store_id: str) -> Store:
    """Like get_tenant_store, but a deactivated store is a 400."""
    store = await get_tenant_store(actor=actor, store_id=store_id)
    if not store.active:
        raise BadRequest(messages.STORE_INACTIVE)
    return store


async def delete_store(*, actor: Actor, store_id: str) -> str:
    """Soft-delete a store and suspend its active staff; history is kept; repeating is harmless."""
    actor.require(Permission.STORES_WRITE)
    store = await get_tenant_store(actor=actor, store_id=store_id)
    now = utcnow()
    await Store.find_one({"_id": store.id, "gerant_id": actor.gerant_id}).update(
        {"$set": {"active": False, "updated_at": now}}
    )
    await User.find(
        {
            "gerant_id": actor.gerant_id,
            "store_id": store.id,
            "role": {"$in": [Role.MANAGER.value, Role.SELLER.value]},
            "status": UserStatus.ACTIVE.value,
        }
    ).update({"$set": {"status": UserStatus.SUSPENDED.value, "updated_at": now}})
    return messages.STORE_DELETED
