"""REST: GET/POST /stores, GET, PUT and DELETE /stores/{store_id}."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from contract import messages
from contract.inputs import Identifier
from contract.permissions import Permission
from contract.representations import Store, store_out
from resolvers import stores
from resolvers.pagination import DEFAULT_PAGE, MAX_PAGE
from rest_compat.auth import CurrentActor
from rest_compat.event_log import Events
from rest_compat.responses import AUTH_ERRORS, DeleteResult, Responses, error, forbidden, success

router = APIRouter(tags=["stores"])

NOT_FOUND: Responses = {
    404: error("Store not found, or not in the key's tenant", messages.STORE_NOT_FOUND)
}
STORE_EXAMPLE_OUT: dict[str, Any] = {
    "id": "store-123",
    "name": "Magasin Paris Centre",
    "location": "75001 Paris",
    "address": "123 Rue de Rivoli",
    "phone": "0123456789",
    "opening_hours": "9h-19h du lundi au samedi",
    "gerant_id": "gerant-xyz",
    "active": True,
    "created_at": "2024-01-15T10:00:00Z",
    "external_id": "PARIS-001",
    "updated_at": "2024-01-15T10:00:00Z",
}
LIST_EXAMPLE = {"stores": [STORE_EXAMPLE_OUT]}
READ_EXAMPLE = {"store": STORE_EXAMPLE_OUT}
CREATED_EXAMPLE = {
    "success": True,
    "store": {
        **STORE_EXAMPLE_OUT,
        "id": "store-456",
        "name": "Magasin Lyon Centre",
        "location": "69001 Lyon",
        "address": "456 Rue de la République",
        "external_id": "LYON-001",
    },
}
UPDATED_EXAMPLE = {
    "success": True,
    "store": {
        **STORE_EXAMPLE_OUT,
        "name": "Magasin Paris Rivoli",
        "phone": "0144556677",
        "updated_at": "2024-03-02T09:30:00Z",
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
UPDATE_EXAMPLES: dict[str, Any] = {
    "rename": {"value": {"name": "Magasin Paris Rivoli", "phone": "0144556677"}},
    "reopen": {"value": {"active": True}},
}
LIST_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "An invalid external_id, updated_since or limit, or a starting_after that is not one "
        "of the stores the key reads",
        messages.STARTING_AFTER_UNKNOWN,
    ),
    **forbidden(Permission.STORES_READ),
}
READ_ERRORS: Responses = {**AUTH_ERRORS, **forbidden(Permission.STORES_READ), **NOT_FOUND}
CREATE_ERRORS: Responses = {
    **AUTH_ERRORS,
    400: error(
        "Invalid input, a name taken by an active store, or an external_id in use",
        messages.STORE_NAME_TAKEN,
    ),
    **forbidden(Permission.STORES_WRITE),
}
UPDATE_ERRORS: Responses = {
    **CREATE_ERRORS,
    400: error(
        "No updatable field, invalid input, a name taken by an active store, or an external_id "
        "in use",
        messages.NO_FIELDS_TO_UPDATE,
    ),
    **NOT_FOUND,
}


class StoreList(BaseModel):
    stores: list[Store]
    # Left out of the answer unless set (the route excludes unset fields): the list without
    # limit or starting_after keeps the contract's shape.
    has_more: bool = Field(
        default=False,
        description="Given with limit or starting_after: whether more stores follow (ask for "
        "them with starting_after)",
    )


class StoreListQuery(stores.StoreFilter):
    """The stores list's query string: filters, then Stripe-style pagination if asked for."""

    limit: int | None = Field(
        default=None, ge=1, le=MAX_PAGE, description="How many stores, 1 to 100 (default 50)"
    )
    starting_after: Identifier | None = Field(
        default=None,
        description="The id of the last store of the previous page",
        examples=["store_65f1a2b3c4d5e6f708192a3b"],
    )


class StoreResult(BaseModel):
    store: Store


class StoreCreateResult(BaseModel):
    success: bool
    store: Store


class StoreUpdateResult(BaseModel):
    success: bool
    store: Store


@router.get(
    "/stores",
    responses={**success(LIST_EXAMPLE), **LIST_ERRORS},
    response_model_exclude_unset=True,
)
async def list_stores(actor: CurrentActor, query: Annotated[StoreListQuery, Query()]) -> StoreList:
    """List the stores the key may access, deactivated ones with `active: false`; with
    `external_id`, only the store that has it; with `updated_since`, those changed since then.
    With `limit` or `starting_after`, one page by id (oldest first) and `has_more`."""
    if query.limit is None and query.starting_after is None:
        found = await stores.list_stores(actor=actor, filter=query)
        return StoreList(stores=[store_out(store) for store in found])
    page = await stores.page_of_stores(
        actor=actor, filter=query, first=query.limit or DEFAULT_PAGE, after=query.starting_after
    )
    return StoreList(stores=[store_out(store) for store in page.items], has_more=page.has_next_page)


@router.get("/stores/{store_id}", responses={**success(READ_EXAMPLE), **READ_ERRORS})
async def get_store(actor: CurrentActor, store_id: str) -> StoreResult:
    """One store the key may access (permission stores:read), deactivated or not."""
    return StoreResult(store=store_out(await stores.get_store(actor=actor, store_id=store_id)))


@router.post("/stores", responses={**success(CREATED_EXAMPLE), **CREATE_ERRORS})
async def create_store(
    actor: CurrentActor,
    events: Events,
    data: stores.StoreCreate = Body(openapi_examples={"store": {"value": STORE_EXAMPLE}}),  # noqa: B008
) -> StoreCreateResult:
    """Create a store; 400 if the name is taken by an active store or the external_id is used."""
    store = await stores.create_store(actor=actor, data=data, events=events)
    return StoreCreateResult(success=True, store=store_out(store))


@router.put("/stores/{store_id}", responses={**success(UPDATED_EXAMPLE), **UPDATE_ERRORS})
async def update_store(
    actor: CurrentActor,
    events: Events,
    store_id: str,
    data: stores.StoreUpdate = Body(openapi_examples=UPDATE_EXAMPLES),  # noqa: B008
) -> StoreUpdateResult:
    """Update the fields given; `active: true` reopens a closed store (its staff stay suspended),
    `active: false` closes it like DELETE."""
    store = await stores.update_store(actor=actor, store_id=store_id, data=data, events=events)
    return StoreUpdateResult(success=True, store=store_out(store))


@router.delete(
    "/stores/{store_id}",
    responses={
        **success(DELETED_EXAMPLE),
        **AUTH_ERRORS,
        **forbidden(Permission.STORES_WRITE),
        **NOT_FOUND,
    },
)
async def delete_store(actor: CurrentActor, events: Events, store_id: str) -> DeleteResult:
    """Soft-delete a store (`active=false`) and suspend its staff; history is kept."""
    message = await stores.delete_store(actor=actor, store_id=store_id, events=events)
    return DeleteResult(success=True, message=message)
