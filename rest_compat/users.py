"""REST: POST /stores/{store_id}/managers and /sellers, GET /users, GET, PUT and DELETE
/users/{user_id}."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from contract import messages
from contract.inputs import Identifier
from contract.permissions import Permission
from contract.representations import EXTERNAL_ID, User, user_out
from models import User as UserDocument
from resolvers import users
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE
from rest_compat.auth import CurrentActor
from rest_compat.event_log import Events
from rest_compat.responses import AUTH_ERRORS, DeleteResult, Responses, error, forbidden, success

router = APIRouter(tags=["users"])

CREATE_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "Email taken, external_id used by another user, invalid input, or store deactivated",
        messages.EMAIL_TAKEN,
    ),
    **forbidden(Permission.USERS_WRITE),
    404: error("Store not found, or not in the key's tenant", messages.STORE_NOT_FOUND),
}
SELLER_ERRORS: Responses = {
    **CREATE_ERRORS,
    404: error(
        "Store not found, or manager_id not an active manager of this store",
        messages.MANAGER_NOT_FOUND_IN_STORE,
    ),
}
USER_ERRORS: Responses = {
    **AUTH_ERRORS,
    **forbidden(Permission.USERS_WRITE),
    404: error("User not found", messages.USER_NOT_FOUND),
}
UPDATE_ERRORS: Responses = {
    **USER_ERRORS,
    400: error(
        "No whitelisted field, invalid status, external_id used by another user, or user deleted",
        messages.NO_FIELDS_TO_UPDATE,
    ),
}
READ_ERRORS: Responses = {
    **AUTH_ERRORS,
    **forbidden(Permission.USERS_READ),
    404: error("No manager or seller with this id in the key's tenant", messages.USER_NOT_FOUND),
}
LIST_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "An invalid filter (updated_since included), limit or starting_after",
        "limit: Input should be less than or equal to 100",
    ),
    **forbidden(Permission.USERS_READ),
    404: error("store_id: store not found, or not in the key's tenant", messages.STORE_NOT_FOUND),
}
DELETE_ERRORS: Responses = {
    **USER_ERRORS,
    400: error("User already deleted", messages.USER_ALREADY_DELETED),
}

MANAGER_CREATED_EXAMPLE = {
    "success": True,
    "manager_id": "manager-789",
    "manager": {
        "id": "manager-789",
        "name": "Jean Dupont",
        "email": "jean.dupont@example.com",
        "store_id": "store-123",
        "external_id": "MANAGER-001",
    },
}
SELLER_CREATED_EXAMPLE = {
    "success": True,
    "seller_id": "seller-456",
    "seller": {
        "id": "seller-456",
        "name": "Marie Martin",
        "email": "marie.martin@example.com",
        "store_id": "store-123",
        "manager_id": "manager-789",
        "external_id": "SELLER-001",
    },
}
USER_UPDATED_EXAMPLE = {
    "success": True,
    "user_id": "manager-789",
    "user": {
        "id": "manager-789",
        "name": "Jean Dupont Modifié",
        "role": "manager",
        "status": "active",
        "phone": "0987654321",
        "store_id": "store-123",
        "external_id": "MANAGER-001-UPDATED",
    },
}
USER_EXAMPLE: dict[str, Any] = {
    "id": "seller-456",
    "name": "Marie Martin",
    "email": "marie.martin@example.com",
    "role": "seller",
    "status": "active",
    "phone": "0123456789",
    "store_id": "store-123",
    "manager_id": "manager-789",
    "external_id": "SELLER-001",
    "created_at": "2024-01-15T10:00:00Z",
    "updated_at": "2024-01-16T08:45:00Z",
}
USER_LIST_EXAMPLE = {"users": [USER_EXAMPLE], "has_more": False}
USER_READ_EXAMPLE = {"user": USER_EXAMPLE}
USER_DELETED_EXAMPLE = {
    "success": True,
    "message": "Manager supprimé avec succès",
}

MANAGER_EXAMPLE: dict[str, Any] = {
    "name": "Jean Dupont",
    "email": "jean.dupont@example.com",
    "phone": "0123456789",
    "external_id": "MANAGER-001",
    "send_invitation": True,
}
SELLER_EXAMPLE: dict[str, Any] = {
    "name": "Marie Martin",
    "email": "marie.martin@example.com",
    "manager_id": "manager-789",
    "phone": "0123456789",
    "external_id": "SELLER-001",
    "send_invitation": True,
}
UPDATE_EXAMPLE: dict[str, Any] = {
    "name": "Jean Dupont Modifié",
    "phone": "0987654321",
    "status": "active",
    "external_id": "MANAGER-001-UPDATED",
}


class Manager(BaseModel):
    id: str
    name: str
    email: str
    store_id: str | None
    external_id: str | None = EXTERNAL_ID


class ManagerCreateResult(BaseModel):
    success: bool
    manager_id: str
    manager: Manager


class Seller(BaseModel):
    id: str
    name: str
    email: str
    store_id: str | None
    manager_id: str | None
    external_id: str | None = EXTERNAL_ID


class SellerCreateResult(BaseModel):
    success: bool
    seller_id: str
    seller: Seller


class UpdatedUser(BaseModel):
    id: str
    name: str
    role: str
    status: str
    phone: str | None
    store_id: str | None
    external_id: str | None = EXTERNAL_ID


class UserUpdateResult(BaseModel):
    success: bool
    user_id: str
    user: UpdatedUser


class UserResult(BaseModel):
    user: User


class UserList(BaseModel):
    users: list[User]
    has_more: bool = Field(description="Whether more users follow: ask with starting_after")


class UserListQuery(users.UserFilter):
    """The staff lookup's query string: filters, then Stripe-style pagination."""

    limit: int = Field(
        default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="How many users, 1 to 100"
    )
    starting_after: Identifier | None = Field(
        default=None, description="The id of the last user of the previous page"
    )


def manager_created(manager: UserDocument) -> ManagerCreateResult:
    return ManagerCreateResult(
        success=True,
        manager_id=manager.id,
        manager=Manager(
            id=manager.id,
            name=manager.name,
            email=manager.email,
            store_id=manager.store_id,
            external_id=manager.external_id,
        ),
    )


def seller_created(seller: UserDocument) -> SellerCreateResult:
    return SellerCreateResult(
        success=True,
        seller_id=seller.id,
        seller=Seller(
            id=seller.id,
            name=seller.name,
            email=seller.email,
            store_id=seller.store_id,
            manager_id=seller.manager_id,
            external_id=seller.external_id,
        ),
    )


def user_updated(user: UserDocument) -> UserUpdateResult:
    return UserUpdateResult(
        success=True,
        user_id=user.id,
        user=UpdatedUser(
            id=user.id,
            name=user.name,
            role=user.role.value,
            status=user.status.value,
            phone=user.phone,
            store_id=user.store_id,
            external_id=user.external_id,
        ),
    )


@router.post(
    "/stores/{store_id}/managers", responses={**success(MANAGER_CREATED_EXAMPLE), **CREATE_ERRORS}
)
async def create_manager(
    actor: CurrentActor,
    events: Events,
    store_id: str,
    data: users.ManagerCreate = Body(openapi_examples={"manager": {"value": MANAGER_EXAMPLE}}),  # noqa: B008
) -> ManagerCreateResult:
    """Create a manager in the store of the path (a `store_id` in the body is ignored)."""
    manager = await users.create_manager(actor=actor, store_id=store_id, data=data, events=events)
    return manager_created(manager)


@router.post(
    "/stores/{store_id}/sellers", responses={**success(SELLER_CREATED_EXAMPLE), **SELLER_ERRORS}
)
async def create_seller(
    actor: CurrentActor,
    events: Events,
    store_id: str,
    data: users.SellerCreate = Body(openapi_examples={"seller": {"value": SELLER_EXAMPLE}}),  # noqa: B008
) -> SellerCreateResult:
    """Create a seller in the store of the path; without `manager_id`, one is assigned."""
    seller = await users.create_seller(actor=actor, store_id=store_id, data=data, events=events)
    return seller_created(seller)


@router.get("/users", responses={**success(USER_LIST_EXAMPLE), **LIST_ERRORS})
async def list_users(actor: CurrentActor, query: Annotated[UserListQuery, Query()]) -> UserList:
    """Find managers and sellers (permission users:read), oldest first, deleted ones included
    unless `status` says otherwise; with `updated_since`, those changed since then; a
    store-restricted key sees its stores' staff only."""
    page = await users.list_users(
        actor=actor, filter=query, first=query.limit, after=query.starting_after
    )
    return UserList(users=[user_out(user) for user in page.items], has_more=page.has_next_page)


@router.get("/users/{user_id}", responses={**success(USER_READ_EXAMPLE), **READ_ERRORS})
async def get_user(actor: CurrentActor, user_id: str) -> UserResult:
    """One manager or seller as `GET /users` lists him (permission users:read), deleted or not;
    403 if his store is outside the key's store_ids."""
    return UserResult(user=user_out(await users.get_staff_user(actor=actor, user_id=user_id)))


@router.put("/users/{user_id}", responses={**success(USER_UPDATED_EXAMPLE), **UPDATE_ERRORS})
async def update_user(
    actor: CurrentActor,
    events: Events,
    user_id: str,
    data: users.UserUpdate = Body(openapi_examples={"update": {"value": UPDATE_EXAMPLE}}),  # noqa: B008
) -> UserUpdateResult:
    """Update the whitelisted `name`, `phone`, `status`, `external_id`; others are ignored."""
    user = await users.update_user(actor=actor, user_id=user_id, data=data, events=events)
    return user_updated(user)


@router.delete("/users/{user_id}", responses={**success(USER_DELETED_EXAMPLE), **DELETE_ERRORS})
async def delete_user(actor: CurrentActor, events: Events, user_id: str) -> DeleteResult:
    """Soft-delete a manager or seller (status `deleted`); history is kept."""
    message = await users.delete_user(actor=actor, user_id=user_id, events=events)
    return DeleteResult(success=True, message=message)
