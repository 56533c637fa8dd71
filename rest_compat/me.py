"""GET /api/integrations/me: what the calling key can do."""

from fastapi import APIRouter
from pydantic import BaseModel

from resolvers.api_keys import KeyDescription, describe_key
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, success
from rest_compat.serialization import iso_utc

router = APIRouter(tags=["me"])


ME_EXAMPLE = {
    "key": {
        "id": "key_65f1c0ffee",
        "name": "Caisse Magasin Paris",
        "prefix": "sk_live_AbC123",
        "permissions": ["kpi:write"],
        "store_ids": ["store-paris-123", "store-paris-456"],
        "expires_at": None,
        "created_at": "2024-01-15T10:00:00Z",
        "last_used_at": "2024-01-16T08:30:00Z",
    },
    "gerant": {"id": "gerant-xyz", "name": "Alice Martin"},
}


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    permissions: list[str]
    store_ids: list[str] | None
    expires_at: str | None
    created_at: str
    last_used_at: str | None


class GerantOut(BaseModel):
    id: str
    name: str


class MeOut(BaseModel):
    key: KeyOut
    gerant: GerantOut


def me_out(description: KeyDescription) -> MeOut:
    key = description.api_key
    return MeOut(
        key=KeyOut(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            permissions=key.permissions,
            store_ids=key.store_ids,
            expires_at=iso_utc(key.expires_at),
            created_at=iso_utc(key.created_at) or "",
            last_used_at=iso_utc(key.last_used_at),
        ),
        gerant=GerantOut(id=description.gerant.id, name=description.gerant.name),
    )


@router.get(
    "/me", responses={**success(ME_EXAMPLE), **AUTH_ERRORS}, summary="Describe the calling API key"
)
async def get_me(actor: CurrentActor) -> MeOut:
    """Any valid key may call this; no permission is needed."""
    return me_out(await describe_key(actor=actor))
