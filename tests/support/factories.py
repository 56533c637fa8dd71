"""Small factories for test data, written through the resolvers where one exists."""

from itertools import count
from typing import Any

from contract.actor import Actor
from contract.credentials import actor_for_key
from contract.permissions import ALL_PERMISSIONS
from infra.webhook_sender import generate_secret
from models import Role, Store, User, UserStatus, WebhookEndpoint, WebhookEndpointStatus
from models.store import name_key
from models.user import email_key
from resolvers.api_keys import ApiKeyCreate, CreatedApiKey, create_api_key
from resolvers.gerants import GerantCreate, create_gerant

_sequence = count(1)


async def make_gerant(name: str = "Gérant", password: str | None = None) -> User:
    n = next(_sequence)
    data = GerantCreate(name=f"{name} {n}", email=f"gerant{n}@example.com", password=password)
    return await create_gerant(data=data)


async def make_api_key(
    gerant: User,
    permissions: list[str] | None = None,
    store_ids: list[str] | None = None,
    expires_in_days: int | None = None,
) -> CreatedApiKey:
    spec = ApiKeyCreate(
        name="test key",
        permissions=list(ALL_PERMISSIONS) if permissions is None else permissions,
        store_ids=store_ids,
        expires_in_days=expires_in_days,
    )
    return await create_api_key(gerant=gerant, spec=spec)


async def make_key(
    gerant: User,
    permissions: list[str] | None = None,
    store_ids: list[str] | None = None,
    expires_in_days: int | None = None,
) -> str:
    """A new key of the gérant's, as the plaintext a caller sends."""
    return (await make_api_key(gerant, permissions, store_ids, expires_in_days)).key


async def make_actor(
    gerant: User, permissions: list[str] | None = None, store_ids: list[str] | None = None
) -> Actor:
    """The caller a new key of the gérant's stands for (all permissions unless given)."""
    return actor_for_key((await make_api_key(gerant, permissions, store_ids)).api_key)


async def make_store(gerant: User, name: str | None = None, **fields: Any) -> Store:
    name = name or f"Magasin {next(_sequence)}"
    store = Store(
        gerant_id=gerant.id, name=name, name_key=name_key(name), location="75001 Paris", **fields
    )
    await store.insert()
    return store


async def make_user(
    gerant: User,
    role: Role,
    store: Store | None,
    status: UserStatus = UserStatus.ACTIVE,
    **fields: Any,
) -> User:
    n = next(_sequence)
    email = f"{role.value}{n}@example.com"
    user = User(
        gerant_id=gerant.id,
        role=role,
        status=status,
        name=f"{role.value.title()} {n}",
        email=email,
        email_key=email_key(email),
        store_id=store.id if store else None,
        **fields,
    )
    await user.insert()
    return user


async def make_disabled_endpoint(
    gerant: User, url: str = "https://erp.example.com/rpai"
) -> WebhookEndpoint:
    """A webhook endpoint of `gerant`, disabled (as after days of failed deliveries)."""
    made = WebhookEndpoint(
        gerant_id=gerant.id,
        url=url,
        events=["*"],
        status=WebhookEndpointStatus.DISABLED,
        secret=generate_secret(),
    )
    await made.insert()
    return made


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}
