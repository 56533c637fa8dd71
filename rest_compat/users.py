"""REST: POST /stores/{store_id}/managers and /sellers, PUT and DELETE /users/{user_id}."""

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from models import User
from resolvers import messages, users
from resolvers.permissions import Permission
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, Deleted, Responses, error, forbidden, success

router = APIRouter(tags=["users"])

CREATE_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error("Email taken, invalid input, or store deactivated", messages.EMAIL_TAKEN),
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
        "No whitelisted field, invalid status, or user deleted", messages.NO_FIELDS_TO_UPDATE
    ),
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


class ManagerOut(BaseModel):
    id: str
    name: str
    email: str
    store_id: str | None
    external_id: str | None


class ManagerCreated(BaseModel):
    success: bool
    manager_id: str
    manager: ManagerOut


class SellerOut(ManagerOut):
    manager_id: str | None


class SellerCreated(BaseModel):
    success: bool
    seller_id: str
    seller: SellerOut


class UserOut(BaseModel):
    id: str
    name: str
    role: str
    status: str
    phone: str | None
    store_id: str | None
    external_id: str | None


class UserUpdated(BaseModel):
    success: bool
    user_id: str
    user: UserOut


def manager_created(manager: User) -> ManagerCreated:
    return ManagerCreated(
        success=True,
        manager_id=manager.id,
        manager=ManagerOut(
            id=manager.id,
            name=manager.name,
            email=manager.email,
            store_id=manager.store_id,
            external_id=manager.external_id,
        ),
    )


def seller_created(seller: User) -> SellerCreated:
    return SellerCreated(
        success=True,
        seller_id=seller.id,
        seller=SellerOut(
            id=seller.id,
            name=seller.name,
            email=seller.email,
            store_id=seller.store_id,
            manager_id=seller.manager_id,
            external_id=seller.external_id,
        ),
    )


def user_updated(user: User) -> UserUpdated:
    return UserUpdated(
        success=True,
        user_id=user.id,
        user=UserOut(
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
    store_id: str,
    data: users.ManagerCreate = Body(openapi_examples={"manager": {"value": MANAGER_EXAMPLE}}),  # noqa: B008
) -> ManagerCreated:
    """Create a manager in the store of the path (a `store_id` in the body is ignored)."""
    manager = await users.create_manager(actor=actor, store_id=store_id, data=data)
    return manager_created(manager)


@router.post(
    "/stores/{store_id}/sellers", responses={**success(SELLER_CREATED_EXAMPLE), **SELLER_ERRORS}
)
async def create_seller(
    actor: CurrentActor,
    store_id: str,
    data: users.SellerCreate = Body(openapi_examples={"seller": {"value": SELLER_EXAMPLE}}),  # noqa: B008
) -> SellerCreated:
    """Create a seller in the store of the path; without `manager_id`, one is assigned."""
    seller = await users.create_seller(actor=actor, store_id=store_id, data=data)
    return seller_created(seller)


@router.put("/users/{user_id}", responses={**success(USER_UPDATED_EXAMPLE), **UPDATE_ERRORS})
async def update_user(
    actor: CurrentActor,
    user_id: str,
    data: users.UserUpdate = Body(openapi_examples={"update": {"value": UPDATE_EXAMPLE}}),  # noqa: B008
) -> UserUpdated:
    """Update the whitelisted `name`, `phone`, `status`, `external_id`; others are ignored."""
    user = await users.update_user(actor=actor, user_id=user_id, data=data)
    return user_updated(user)


@router.delete("/users/{user_id}", responses={**success(USER_DELETED_EXAMPLE), **DELETE_ERRORS})
async def delete_user(actor: CurrentActor, user_id: str) -> Deleted:
    """Soft-delete a manager or seller (status `deleted`); history is kept."""
    message = await users.delete_user(actor=actor, user_id=user_id)
    return Deleted(success=True, message=message)
