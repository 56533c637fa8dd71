"""REST: GET/POST /stores and DELETE /stores/{store_id}."""

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from models import Store
from resolvers import stores
from resolvers.permissions import Permission
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, Deleted, Responses, error, forbidden, success
from rest_compat.serialization import iso_utc

router = APIRouter(tags=["stores"])

NOT_FOUND: Responses = {
    404: error("Store not found, or not in the key's tenant", "Store not found")
}
STORE_OUT_EXAMPLE: dict[str, Any] = {
    "id": "store-123",
    "name": "Magasin Paris Centre",
    "location": "75001 Paris",
    "address": "123 Rue de Rivoli",
    "phone": "0123456789",
    "opening_hours": "9h-19h du lundi au samedi",
    "gerant_id": "gerant-xyz",
    "active": True,
    "created_at": "2024-01-15T10:00:00Z",
}
LIST_EXAMPLE = {"stores": [STORE_OUT_EXAMPLE]}
CREATED_EXAMPLE = {
    "success": True,
    "store": {
        **STORE_OUT_EXAMPLE,
        "id": "store-456",
        "name": "Magasin Lyon Centre",
        "location": "69001 Lyon",
        "address": "456 Rue de la République",
    },
}
DELETED_EXAMPLE = {
    "success": True,
    "message": "Magasin supprimé avec succès",
}
STORE_EXAMPLE: dict[str, Any] = {
    "name": "Magasin Lyon Centre",
    "location": "69001 Lyon",
    "address": "456 Rue de la République",
    "phone": "0123456789",
    "opening_hours": "9h-19h du lundi au samedi",
    "external_id": "LYON-001",
}


class StoreOut(BaseModel):
    id: str
    name: str
    location: str
    address: str | None
    phone: str | None
    opening_hours: str | None
    gerant_id: str
    active: bool
    created_at: str


class StoreList(BaseModel):
    stores: list[StoreOut]


class StoreCreated(BaseModel):
    success: bool
    store: StoreOut


def store_out(store: Store) -> StoreOut:
    return StoreOut(
        id=store.id,
        name=store.name,
        location=store.location,
        address=store.address,
        phone=store.phone,
        opening_hours=store.opening_hours,
        gerant_id=store.gerant_id,
        active=store.active,
        created_at=iso_utc(store.created_at) or "",
    )


@router.get(
    "/stores",
    responses={**success(LIST_EXAMPLE), **AUTH_ERRORS, **forbidden(Permission.STORES_READ)},
)
async def list_stores(actor: CurrentActor) -> StoreList:
    """List the stores the key may access, deactivated ones with `active: false`."""
    found = await stores.list_stores(actor=actor)
    return StoreList(stores=[store_out(store) for store in found])


@router.post(
    "/stores",
    responses={**success(CREATED_EXAMPLE), **AUTH_ERRORS, **forbidden(Permission.STORES_WRITE)},
)
async def create_store(
    actor: CurrentActor,
    data: stores.StoreCreate = Body(openapi_examples={"store": {"value": STORE_EXAMPLE}}),  # noqa: B008
) -> StoreCreated:
    """Create a store; 400 if the name is taken by an active store or the external_id is used."""
    store = await stores.create_store(actor=actor, data=data)
    return StoreCreated(success=True, store=store_out(store))


@router.delete(
    "/stores/{store_id}",
    responses={
        **success(DELETED_EXAMPLE),
        **AUTH_ERRORS,
        **forbidden(Permission.STORES_WRITE),
        **NOT_FOUND,
    },
)
async def delete_store(actor: CurrentActor, store_id: str) -> Deleted:
    """Soft-delete a store (`active=false`) and suspend its staff; history is kept."""
    message = await stores.delete_store(actor=actor, store_id=store_id)
    return Deleted(success=True, message=message)
