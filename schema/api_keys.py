"""GraphQL: the gérant's API-key lifecycle (create, list, deactivate, rotate)."""

from datetime import datetime

import strawberry

from contract import messages
from contract.validation import parse
from models import ApiKey as ApiKeyDocument
from resolvers import api_keys
from schema.access import GerantSession
from schema.context import Info
from schema.inputs import plain_input
from schema.secrets import Secret


@strawberry.type
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str
    permissions: list[str]
    store_ids: list[str] | None
    expires_at: datetime | None
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    replaced_by: strawberry.ID | None = strawberry.field(
        description="Set once the key was rotated: the id of the key that replaces it."
    )
    replaced_at: datetime | None = strawberry.field(description="When it was rotated.")


@strawberry.type
class CreatedApiKey:
    key: str = strawberry.field(
        description="The key itself: shown in this response only.",
        extensions=[
            Secret(lambda created: messages.API_KEY_NOT_REPLAYED.format(id=created.api_key.id))
        ],
    )
    api_key: ApiKey


@plain_input
@strawberry.input
class CreateApiKeyInput:
    name: str
    permissions: list[str]
    store_ids: list[str] | None = None
    expires_in_days: int | None = None


def api_key_type(key: ApiKeyDocument) -> ApiKey:
    return ApiKey(
        id=strawberry.ID(key.id),
        name=key.name,
        prefix=key.prefix,
        permissions=key.permissions,
        store_ids=key.store_ids,
        expires_at=key.expires_at,
        active=key.active,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        replaced_by=strawberry.ID(key.replaced_by) if key.replaced_by else None,
        replaced_at=key.replaced_at,
    )


def created_type(created: api_keys.CreatedApiKey) -> CreatedApiKey:
    return CreatedApiKey(key=created.key, api_key=api_key_type(created.api_key))


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        description="The gérant's API keys (gérant session only).",
        permission_classes=[GerantSession],
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        found = await api_keys.list_api_keys(actor=info.context.actor())
        return [api_key_type(key) for key in found]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation(
        description="Create an API key; the key is returned only here.",
        permission_classes=[GerantSession],
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreatedApiKey:
        spec = parse(api_keys.ApiKeyCreate, input)
        created = await api_keys.create_session_api_key(
            actor=info.context.actor(), spec=spec, events=info.context.services.events
        )
        return created_type(created)

    @strawberry.mutation(
        description="Deactivate an API key; it is refused from then on.",
        permission_classes=[GerantSession],
    )
    async def deactivate_api_key(self, info: Info, id: strawberry.ID) -> ApiKey:
        key = await api_keys.deactivate_api_key(
            actor=info.context.actor(),
            key_id=id,
            keys=info.context.services.keys,
            events=info.context.services.events,
        )
        return api_key_type(key)

    @strawberry.mutation(
        description="New key with the same settings; the old one works for graceDays (0 to 90) "
        "or graceHours (0 to 2160) more: one of them, 7 days when neither is given.",
        permission_classes=[GerantSession],
    )
    async def rotate_api_key(
        self,
        info: Info,
        id: strawberry.ID,
        grace_days: int | None = None,
        grace_hours: int | None = None,
    ) -> CreatedApiKey:
        created = await api_keys.rotate_api_key(
            actor=info.context.actor(),
            key_id=id,
            grace_days=grace_days,
            grace_hours=grace_hours,
            keys=info.context.services.keys,
            events=info.context.services.events,
        )
        return created_type(created)
