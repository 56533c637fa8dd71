"""GraphQL: stores query and store mutations."""

from datetime import datetime

import strawberry

from models import Store as StoreDocument
from resolvers import stores
from schema.access import Caller
from schema.common import DeleteResult
from schema.context import Info
from schema.inputs import parse_input, plain_input


@strawberry.type
class Store:
    id: strawberry.ID
    name: str
    location: str
    address: str | None
    phone: str | None
    opening_hours: str | None
    gerant_id: strawberry.ID
    active: bool
    created_at: datetime
    external_id: str | None = strawberry.field(
        description="The store's id in the integrator's system."
    )


@plain_input
@strawberry.input
class CreateStoreInput:
    name: str
    location: str
    address: str | None = None
    phone: str | None = None
    opening_hours: str | None = None
    external_id: str | None = None


@plain_input
@strawberry.input(
    description="Only the fields given are updated; address, phone, openingHours and "
    "externalId clear with null; active: true reopens a closed store."
)
class UpdateStoreInput:
    name: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    opening_hours: str | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


def store_type(store: StoreDocument) -> Store:
    return Store(
        id=strawberry.ID(store.id),
        name=store.name,
        location=store.location,
        address=store.address,
        phone=store.phone,
        opening_hours=store.opening_hours,
        gerant_id=strawberry.ID(store.gerant_id),
        active=store.active,
        created_at=store.created_at,
        external_id=store.external_id,
    )


@strawberry.type
class StoreQuery:
    @strawberry.field(
        description="Stores the key may access (permission stores:read); with externalId, "
        "only the store that has it.",
        permission_classes=[Caller],
    )
    async def stores(self, info: Info, external_id: str | None = None) -> list[Store]:
        given = parse_input(stores.StoreFilter, {"external_id": external_id})
        found = await stores.list_stores(actor=info.context.actor(), filter=given)
        return [store_type(store) for store in found]


@strawberry.type
class StoreMutation:
    @strawberry.mutation(
        description="Create a store (permission stores:write).",
        permission_classes=[Caller],
    )
    async def create_store(self, info: Info, input: CreateStoreInput) -> Store:
        actor = info.context.actor()
        data = parse_input(stores.StoreCreate, input)
        return store_type(await stores.create_store(actor=actor, data=data))

    @strawberry.mutation(
        description="Update a store (permission stores:write); active: true reopens it.",
        permission_classes=[Caller],
    )
    async def update_store(
        self, info: Info, store_id: strawberry.ID, input: UpdateStoreInput
    ) -> Store:
        actor = info.context.actor()
        data = parse_input(stores.StoreUpdate, input)
        return store_type(await stores.update_store(actor=actor, store_id=store_id, data=data))

    @strawberry.mutation(
        description="Soft-delete a store and suspend its staff.",
        permission_classes=[Caller],
    )
    async def delete_store(self, info: Info, store_id: strawberry.ID) -> DeleteResult:
        message = await stores.delete_store(actor=info.context.actor(), store_id=store_id)
        return DeleteResult(success=True, message=message)
