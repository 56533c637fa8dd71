"""Authentication of integration API keys, shared by REST and GraphQL."""

from datetime import timedelta

from models import ApiKey
from models.clock import utcnow
from resolvers import messages
from resolvers.actor import Actor
from resolvers.api_key_format import hash_key, is_well_formed
from resolvers.errors import Unauthenticated
from resolvers.permissions import ALL_STORES

BEARER_SCHEME = "bearer"


def credential_from_headers(*, x_api_key: str | None, authorization: str | None) -> str | None:
    """The API key sent in `X-API-Key`, or else as `Authorization: Bearer <key>`."""
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == BEARER_SCHEME and value.strip():
            return value.strip()
    return None


def store_scope(store_ids: list[str] | None) -> frozenset[str] | None:
    """The key's store scope: None means every store of the tenant."""
    if store_ids is None or ALL_STORES in store_ids:
        return None
    return frozenset(store_ids)


def actor_for_key(api_key: ApiKey) -> Actor:
    """The principal an active, unexpired key stands for."""
    return Actor(
        gerant_id=api_key.gerant_id,
        permissions=frozenset(api_key.permissions),
        store_ids=store_scope(api_key.store_ids),
        api_key=api_key,
    )


async def authenticate(*, x_api_key: str | None, authorization: str | None) -> Actor:
    """Check the key from the request headers and return its principal, or raise 401."""
    key = credential_from_headers(x_api_key=x_api_key, authorization=authorization)
    if not key:
        raise Unauthenticated(messages.MISSING_API_KEY)
    if not is_well_formed(key):
        raise Unauthenticated(messages.INVALID_API_KEY)
    api_key = await ApiKey.find_one({"key_hash": hash_key(key)})
    if api_key is None:
        raise Unauthenticated(messages.INVALID_API_KEY)
    if not api_key.active:
        raise Unauthenticated(messages.INACTIVE_API_KEY)
    if api_key.expires_at is not None and api_key.expires_at <= utcnow():
        raise Unauthenticated(messages.EXPIRED_API_KEY)
    return actor_for_key(api_key)


def expiry_warning(actor: Actor, warning_days: int) -> str | None:
    """An RFC 7234-style `Warning` value when the key expires within `warning_days`."""
    expires_at = actor.api_key.expires_at
    if expires_at is None or expires_at - utcnow() > timedelta(days=warning_days):
        return None
    when = expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'299 - "API key expires at {when}; create a new key and rotate before then"'
