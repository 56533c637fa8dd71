"""GET /api/integrations/me: what the calling key can do."""

from fastapi import APIRouter
from pydantic import BaseModel

from resolvers.api_keys import KeyDescription, describe_key
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, success
from rest_compat.serialization import Timestamp, iso_utc, timestamp

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


class ApiKeyInfo(BaseModel):
    id: str
    name: str
    prefix: str
    permissions: list[str]
    store_ids: list[str] | None
    expires_at: Timestamp | None
    created_at: Timestamp
    last_used_at: Timestamp | None


class Gerant(BaseModel):
    id: str
    name: str


class Me(BaseModel):
    key: ApiKeyInfo
    gerant: Gerant


def me_out(description: KeyDescription) -> Me:
    key = description.api_key
    return Me(
        key=ApiKeyInfo(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            permissions=key.permissions,
            store_ids=key.store_ids,
            expires_at=iso_utc(key.expires_at),
            created_at=timestamp(key.created_at),
            last_used_at=iso_utc(key.last_used_at),
        ),
        gerant=Gerant(id=description.gerant.id, name=description.gerant.name),
    )


@router.get(
    "/me", responses={**success(ME_EXAMPLE), **AUTH_ERRORS}, summary="Describe the calling API key"
)
async def get_me(actor: CurrentActor) -> Me:
    """Any valid key may call this; no permission is needed."""
    return me_out(await describe_key(actor=actor))
