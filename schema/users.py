"""GraphQL: staff — the users lookup and the sellers query; create managers and sellers,
update and soft-delete users."""

from datetime import datetime

import strawberry

from models import User as UserDocument
from resolvers import users
from resolvers.pages import encode_cursor
from schema.access import Caller
from schema.common import DeleteResult, PageInfo
from schema.context import Info
from schema.inputs import parse_input, plain_input


@strawberry.type
class User:
    id: strawberry.ID
    name: str
    email: str
    role: str
    status: str
    phone: str | None
    store_id: strawberry.ID | None
    manager_id: strawberry.ID | None
    external_id: str | None = strawberry.field(
        description="The person's id in the integrator's system."
    )
    created_at: datetime


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo


@plain_input
@strawberry.input(description="Every condition given must hold.")
class UserFilter:
    store_id: strawberry.ID | None = None
    role: str | None = strawberry.field(default=None, description="manager or seller.")
    status: str | None = strawberry.field(
        default=None, description="active, suspended or deleted (default: all)."
    )
    external_id: str | None = None
    email: str | None = None


@strawberry.type(description="A seller as gérants and managers see him.")
class Seller:
    id: strawberry.ID
    name: str
    email: str
    status: str
    store_id: strawberry.ID | None
    manager_id: strawberry.ID | None
    external_id: str | None = strawberry.field(
        description="The seller's id in the integrator's system."
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
    status: str | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET


def user_type(user: UserDocument) -> User:
    return User(
        id=strawberry.ID(user.id),
        name=user.name,
        email=user.email,
        role=user.role.value,
        status=user.status.value,
        phone=user.phone,
        store_id=strawberry.ID(user.store_id) if user.store_id else None,
        manager_id=strawberry.ID(user.manager_id) if user.manager_id else None,
        external_id=user.external_id,
        created_at=user.created_at,
    )


def seller_type(user: UserDocument) -> Seller:
    return Seller(
        id=strawberry.ID(user.id),
        name=user.name,
        email=user.email,
        status=user.status.value,
        store_id=strawberry.ID(user.store_id) if user.store_id else None,
        manager_id=strawberry.ID(user.manager_id) if user.manager_id else None,
        external_id=user.external_id,
    )


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
    ) -> UserConnection:
        user_filter = parse_input(users.UserFilter, filter or {})
        page = await users.list_users(
            actor=info.context.actor(),
            filter=user_filter,
            first=first,
            after=users.after_cursor(after),
        )
        return UserConnection(
            edges=[
                UserEdge(cursor=encode_cursor([user.id]), node=user_type(user))
                for user in page.items
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field(
        description="Sellers, deleted ones excepted, of one store or of every store the caller "
        "reads (logged-in gérant, or manager for his store).",
        permission_classes=[Caller],
    )
    async def sellers(self, info: Info, store_id: strawberry.ID | None = None) -> list[Seller]:
        found = await users.list_sellers(actor=info.context.actor(), store_id=store_id)
        return [seller_type(user) for user in found]


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        description="Create a manager in a store (permission users:write).",
        permission_classes=[Caller],
    )
    async def create_manager(
        self, info: Info, store_id: strawberry.ID, input: CreateManagerInput
    ) -> User:
        actor = info.context.actor()
        data = parse_input(users.ManagerCreate, input)
        return user_type(await users.create_manager(actor=actor, store_id=store_id, data=data))

    @strawberry.mutation(
        description="Create a seller; without managerId, one is assigned.",
        permission_classes=[Caller],
    )
    async def create_seller(
        self, info: Info, store_id: strawberry.ID, input: CreateSellerInput
    ) -> User:
        actor = info.context.actor()
        data = parse_input(users.SellerCreate, input)
        return user_type(await users.create_seller(actor=actor, store_id=store_id, data=data))

    @strawberry.mutation(
        description="Update name, phone, status or externalId of a user.",
        permission_classes=[Caller],
    )
    async def update_user(self, info: Info, user_id: strawberry.ID, input: UpdateUserInput) -> User:
        actor = info.context.actor()
        data = parse_input(users.UserUpdate, input)
        return user_type(await users.update_user(actor=actor, user_id=user_id, data=data))

    @strawberry.mutation(
        description="Soft-delete a manager or seller (status deleted).",
        permission_classes=[Caller],
    )
    async def delete_user(self, info: Info, user_id: strawberry.ID) -> DeleteResult:
        message = await users.delete_user(actor=info.context.actor(), user_id=user_id)
        return DeleteResult(success=True, message=message)
