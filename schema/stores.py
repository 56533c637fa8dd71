"""GraphQL: stores query and store mutations; a store's managers, sellers and KPI summary."""

from datetime import datetime
from typing import Annotated

import strawberry

from contract.validation import parse
from models import Store as StoreDocument
from resolvers import stores, users
from resolvers.kpi.summaries import KpiGroupBy
from schema.access import Caller
from schema.common import Connection, DeleteResult, connection
from schema.context import Info, StaffKey
from schema.enums import Role, UserStatus
from schema.inputs import plain_input
from schema.kpi_reports import KpiSummaryRow, summary_key, summary_row
from schema.users import FromArgument, Manager, Seller, manager_type, seller_type

StaffStatus = Annotated[
    UserStatus | None,
    strawberry.argument(
        description="Only those with this status; default: active and suspended (not deleted)."
    ),
]


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
    updated_at: datetime = strawberry.field(
        description="When the store last changed (creation, update, closing or reopening)."
    )

    @strawberry.field(
        description="Its managers, oldest first, a page at a time (permission users:read; "
        "`first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def managers(
        self,
        info: Info,
        status: StaffStatus = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Manager] | None:
        key = staff_key(self.id, Role.MANAGER, status, first, after)
        return connection(await info.context.store_staff.load(key), manager_type)

    @strawberry.field(
        description="Its sellers, oldest first, a page at a time (permission users:read; "
        "`first` from 1 to 100).",
        permission_classes=[Caller],
    )
    async def sellers(
        self,
        info: Info,
        status: StaffStatus = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Seller] | None:
        key = staff_key(self.id, Role.SELLER, status, first, after)
        return connection(await info.context.store_staff.load(key), seller_type)

    @strawberry.field(
        description="Its KPI summary over the period, as kpiSummary gives it with storeIds set "
        "to this store alone (permission kpi:read).",
        permission_classes=[Caller],
    )
    async def kpi_summary(
        self, info: Info, from_: FromArgument, to: str, group_by: KpiGroupBy
    ) -> list[KpiSummaryRow] | None:
        key = summary_key(self.id, from_, to, group_by)
        return [summary_row(row) for row in await info.context.store_summaries.load(key)]


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


def staff_key(
    store_id: str, role: Role, status: UserStatus | None, first: int, after: str | None
) -> StaffKey:
    """The key a store's page of managers or sellers loads by, once its arguments are valid."""
    given = parse(users.StaffFilter, {"status": status})
    return StaffKey(store_id, role, given.status, first, users.after_cursor(after))


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
        updated_at=store.updated_at,
    )


@strawberry.type
class StoreQuery:
    @strawberry.field(
        description="One store the caller may read, deactivated or not (permission "
        "stores:read): FORBIDDEN outside the caller's stores, NOT_FOUND if unknown.",
        permission_classes=[Caller],
    )
    async def store(self, info: Info, id: strawberry.ID) -> Store | None:
        return store_type(await stores.get_store(actor=info.context.actor(), store_id=id))

    @strawberry.field(
        description="Stores the key may access (permission stores:read); with externalId, "
        "only the store that has it; with updatedSince, those whose updatedAt is at or after "
        "it.",
        permission_classes=[Caller],
    )
    async def stores(
        self, info: Info, external_id: str | None = None, updated_since: datetime | None = None
    ) -> list[Store]:
        given = parse(
            stores.StoreFilter, {"external_id": external_id, "updated_since": updated_since}
        )
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
        data = parse(stores.StoreCreate, input)
        return store_type(
            await stores.create_store(actor=actor, data=data, events=info.context.services.events)
        )

    @strawberry.mutation(
        description="Update a store (permission stores:write); active: true reopens it.",
        permission_classes=[Caller],
    )
    async def update_store(
        self, info: Info, store_id: strawberry.ID, input: UpdateStoreInput
    ) -> Store:
        actor = info.context.actor()
        data = parse(stores.StoreUpdate, input)
        return store_type(
            await stores.update_store(
                actor=actor, store_id=store_id, data=data, events=info.context.services.events
            )
        )

    @strawberry.mutation(
        description="Soft-delete a store and suspend its staff.",
        permission_classes=[Caller],
    )
    async def delete_store(self, info: Info, store_id: strawberry.ID) -> DeleteResult:
        message = await stores.delete_store(
            actor=info.context.actor(), store_id=store_id, events=info.context.services.events
        )
        return DeleteResult(success=True, message=message)
