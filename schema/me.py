"""GraphQL view of the calling key."""

from datetime import datetime

import strawberry

from resolvers.api_keys import KeyDescription, describe_key
from schema.access import Caller
from schema.context import Info


@strawberry.type
class KeyInfo:
    id: strawberry.ID
    name: str
    prefix: str
    permissions: list[str]
    store_ids: list[str] | None
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None


@strawberry.type
class GerantInfo:
    id: strawberry.ID
    name: str


@strawberry.type
class Me:
    key: KeyInfo
    gerant: GerantInfo


def me_type(description: KeyDescription) -> Me:
    key = description.api_key
    return Me(
        key=KeyInfo(
            id=strawberry.ID(key.id),
            name=key.name,
            prefix=key.prefix,
            permissions=key.permissions,
            store_ids=key.store_ids,
            expires_at=key.expires_at,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
        ),
        gerant=GerantInfo(id=strawberry.ID(description.gerant.id), name=description.gerant.name),
    )


@strawberry.type
class MeQuery:
    # Nullable: called with a session it is null with its FORBIDDEN error, and the other
    # fields asked alongside (`viewer`, say) keep their answers.
    @strawberry.field(
        description="What the calling API key can do; null (with a FORBIDDEN error) for a "
        "user session.",
        permission_classes=[Caller],
    )
    async def me(self, info: Info) -> Me | None:
        return me_type(await describe_key(actor=info.context.actor()))
