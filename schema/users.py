"""GraphQL: staff — the users lookup and the sellers query; create managers and sellers,
update and soft-delete users; and the graph around a person: his store, a seller's manager and
KPI summary."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from contract.validation import parse
from models import User as UserDocument
from resolvers import users
from resolvers.kpi.summaries import KpiGroupBy
from schema.access import Caller
from schema.common import Connection, DeleteResult, connection
from schema.context import Info
from schema.enums import Role, UserStatus
from schema.inputs import plain_input
from schema.kpi_reports import KpiSummaryRow, summary_key, summary_row

if TYPE_CHECKING:
    from schema.stores import Store

LazyStore = Annotated["Store", strawberry.lazy("schema.stores")]
FromArgument = Annotated[str, strawberry.argument(name="from", description="YYYY-MM-DD.")]


@strawberry.interface(description="A person of the tenant: the gérant, a manager or a seller.")
class User:
    id: strawberry.ID
    name: str
    email: str
    role: Role
    status: UserStatus
    phone: str | None
    store_id: strawberry.ID | None
    manager_id: strawberry.ID | None
    external_id: str | None = strawberry.field(
        description="The person's id in the integrator's system."
    )
    created_at: datetime
    updated_at: datetime = strawberry.field(
        description="When the person last changed (update, deletion, suspension with his "
        "store, password set)."
    )

    @strawberry.field(
        description="His store, deactivated or not (permission stores:read); null for the gérant.",
        permission_classes=[Caller],
    )
    async def store(self, info: Info) -> LazyStore | None:
        from schema.stores import store_type

        if self.store_id is None:
            return None
        found = await info.context.stores.load(self.store_id)
        return None if found is None else store_type(found)


@strawberry.type(description="The chain's owner.")
class Gerant(User):
    pass


@strawberry.type(description="A store's manager.")
class Manager(User):
    pass


@strawberry.type(description="A seller, with his manager and his figures.")
class Seller(User):
    @strawberry.field(
        description="The manager he reports to, deleted or not (permission users:read).",
        permission_classes=[Caller],
    )
    async def manager(self, info: Info) -> Manager | None:
        if self.manager_id is None:
            return None
        found = await info.context.staff.load(self.manager_id)
        manager = None if found is None else user_type(found)
        return manager if isinstance(manager, Manager) else None

    @strawberry.field(
        description="His KPI summary over the period, as kpiSummary gives it with sellerIds set "
        "to him alone (permission kpi:read).",
        permission_classes=[Caller],
    )
    async def kpi_summary(
        self, info: Info, from_: FromArgument, to: str, group_by: KpiGroupBy
    ) -> list[KpiSummaryRow] | None:
        key = summary_key(self.id, from_, to, group_by)
        return [summary_row(row) for row in await info.context.seller_summaries.load(key)]


USER_TYPES: dict[Role, type[User]] = {
    Role.GERANT: Gerant,
    Role.MANAGER: Manager,
    Role.SELLER: Seller,
}


@plain_input
@strawberry.input(description="Every condition given must hold.")
class UserFilter:
    store_id: strawberry.ID | None = None
    role: Role | None = strawberry.field(default=None, description="MANAGER or SELLER.")
    status: UserStatus | None = strawberry.field(
        default=None, description="Default: every status, deleted included."
    )
    external_id: str | None = None
    email: str | None = None
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only those whose updatedAt is at or after it."
    )


@plain_input
@strawberry.input
class CreateManagerInput:
    name: str
    email: str
    phone: str | None = None
    external_id: str | None = None
    send_invitation: bool = True


@plain_input
@strawberry.input
class CreateSellerInput(CreateManagerInput):
    manager_id: strawberry.ID | None = None


@plain_input
@strawberry.input(description="Only the fields given are updated; phone and externalId clear.")
class UpdateUserInput:
    name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    status: UserStatus | None = strawberry.field(
        default=strawberry.UNSET, description="ACTIVE or SUSPENDED."
    )
    external_id: str | None = strawberry.UNSET


def user_type(user: UserDocument) -> User:
    """The person as GraphQL shows him: a Gerant, a Manager or a Seller."""
    role = Role(user.role)
    return USER_TYPES[role](
        id=strawberry.ID(user.id),
        name=user.name,
        email=user.email,
        role=role,
        status=UserStatus(user.status),
        phone=user.phone,
        store_id=strawberry.ID(user.store_id) if user.store_id else None,
        manager_id=strawberry.ID(user.manager_id) if user.manager_id else None,
        external_id=user.external_id,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def seller_type(user: UserDocument) -> Seller:
    seller = user_type(user)
    assert isinstance(seller, Seller)
    return seller


def manager_type(user: UserDocument) -> Manager:
    manager = user_type(user)
    assert isinstance(manager, Manager)
    return manager


@strawberry.type
class UserQuery:
    @strawberry.field(
        description="Managers and sellers, oldest first, a page at a time (permission "
        "users:read for keys; gérant and manager sessions too). Deleted ones are included "
        "unless filter.status says otherwise; `first` from 1 to 100.",
        permission_classes=[Caller],
    )
    async def users(
        self,
        info: Info,
        filter: UserFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[User]:
        user_filter = parse(users.UserFilter, filter or {})
        page = await users.list_users(
            actor=info.context.actor(),
            filter=user_filter,
            first=first,
            after=users.after_cursor(after),
        )
        return connection(page, user_type)

    @strawberry.field(
        description="One manager or seller as users lists him, deleted or not (permission "
        "users:read): FORBIDDEN if his store is outside the caller's, NOT_FOUND if unknown.",
        permission_classes=[Caller],
    )
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return user_type(await users.get_staff_user(actor=info.context.actor(), user_id=id))

    @strawberry.field(
        description="Sellers, deleted ones excepted, of one store or of every store the caller "
        "reads (logged-in gérant, or manager for his store), oldest first, a page at a time.",
        permission_classes=[Caller],
    )
    async def sellers(
        self,
        info: Info,
        store_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[Seller]:
        page = await users.list_sellers(
            actor=info.context.actor(),
            store_id=store_id,
            first=first,
            after=users.after_cursor(after),
        )
        return connection(page, seller_type)


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        description="Create a manager in a store (permission users:write).",
        permission_classes=[Caller],
    )
    async def create_manager(
        self, info: Info, store_id: strawberry.ID, input: CreateManagerInput
    ) -> Manager:
        actor = info.context.actor()
        data = parse(users.ManagerCreate, input)
        return manager_type(
            await users.create_manager(
                actor=actor, store_id=store_id, data=data, events=info.context.services.events
            )
        )

    @strawberry.mutation(
        description="Create a seller; without managerId, one is assigned.",
        permission_classes=[Caller],
    )
    async def create_seller(
        self, info: Info, store_id: strawberry.ID, input: CreateSellerInput
    ) -> Seller:
        actor = info.context.actor()
        data = parse(users.SellerCreate, input)
        return seller_type(
            await users.create_seller(
                actor=actor, store_id=store_id, data=data, events=info.context.services.events
            )
        )

    @strawberry.mutation(
        description="Update name, phone, status or externalId of a user.",
        permission_classes=[Caller],
    )
    async def update_user(self, info: Info, user_id: strawberry.ID, input: UpdateUserInput) -> User:
        actor = info.context.actor()
        data = parse(users.UserUpdate, input)
        return user_type(
            await users.update_user(
                actor=actor, user_id=user_id, data=data, events=info.context.services.events
            )
        )

    @strawberry.mutation(
        description="Move a seller to an active store, under managerId (a manager of that "
        "store) or, without it, the store's earliest active manager (permission users:write).",
        permission_classes=[Caller],
    )
    async def move_seller(
        self,
        info: Info,
        user_id: strawberry.ID,
        store_id: strawberry.ID,
        manager_id: strawberry.ID | None = None,
    ) -> Seller:
        return seller_type(
            await users.move_seller(
                actor=info.context.actor(),
                user_id=user_id,
                store_id=store_id,
                manager_id=manager_id,
                events=info.context.services.events,
            )
        )

    @strawberry.mutation(
        description="Soft-delete a manager or seller (status deleted).",
        permission_classes=[Caller],
    )
    async def delete_user(self, info: Info, user_id: strawberry.ID) -> DeleteResult:
        message = await users.delete_user(
            actor=info.context.actor(), user_id=user_id, events=info.context.services.events
        )
        return DeleteResult(success=True, message=message)
