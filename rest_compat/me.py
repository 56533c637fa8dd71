"""GET /api/integrations/me: what the calling key can do."""

from fastapi import APIRouter
from pydantic import BaseModel

from contract.representations import ApiKeyInfo, api_key_out
from resolvers.api_keys import KeyDescription, describe_key
from rest_compat.auth import CurrentActor
from rest_compat.responses import AUTH_ERRORS, success

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


class Gerant(BaseModel):
    id: str
    name: str


class Me(BaseModel):
    key: ApiKeyInfo
    gerant: Gerant


def me_out(description: KeyDescription) -> Me:
    return Me(
        key=api_key_out(description.api_key),
        gerant=Gerant(id=description.gerant.id, name=description.gerant.name),
    )


@router.get(
    "/me", responses={**success(ME_EXAMPLE), **AUTH_ERRORS}, summary="Describe the calling API key"
)
async def get_me(actor: CurrentActor) -> Me:
    """Any valid key may call this; no permission is needed."""
    return me_out(await describe_key(actor=actor))
