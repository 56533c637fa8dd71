"""Authentication shared by REST and GraphQL: API keys everywhere, staff JWTs on GraphQL only."""

from datetime import timedelta

from models import ApiKey, Role, User, UserStatus
from models.clock import utcnow
from resolvers import messages
from resolvers.actor import Actor
from resolvers.api_key_format import KEY_PREFIX, hash_key, is_well_formed
from resolvers.errors import Unauthenticated
from resolvers.key_cache import key_cache
from resolvers.key_usage import key_usage
from resolvers.permissions import ALL_PERMISSIONS, ALL_STORES, Permission
from resolvers.tokens import TokenSigner

BEARER_SCHEME = "bearer"
MANAGER_PERMISSIONS = frozenset({Permission.STORES_READ.value, Permission.KPI_READ.value})
SELLER_PERMISSIONS = frozenset({Permission.KPI_READ.value})


def bearer_value(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer <value>` header."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != BEARER_SCHEME or not value.strip():
        return None
    return value.strip()


def credential_from_headers(*, x_api_key: str | None, authorization: str | None) -> str | None:
    """The API key sent in `X-API-Key`, or else as `Authorization: Bearer <key>`."""
    if x_api_key:
        return x_api_key.strip()
    return bearer_value(authorization)


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


def actor_for_user(user: User) -> Actor:
    """The principal of a logged-in user: a gérant has his whole tenant, a manager reads his
    store, a seller reads his own KPIs."""
    if user.role is Role.GERANT:
        return Actor(
            gerant_id=user.gerant_id,
            permissions=frozenset(ALL_PERMISSIONS),
            store_ids=None,
            user=user,
        )
    store_ids = frozenset({user.store_id}) if user.store_id else frozenset()
    if user.role is Role.MANAGER:
        return Actor(
            gerant_id=user.gerant_id,
            permissions=MANAGER_PERMISSIONS,
            store_ids=store_ids,
            user=user,
        )
    return Actor(
        gerant_id=user.gerant_id,
        permissions=SELLER_PERMISSIONS,
        store_ids=store_ids,
        user=user,
        own_seller_id=user.id,
    )


async def actor_for_api_key(key: str) -> Actor:
    """Check one API key: shape and checksum first (no database), then its stored state."""
    api_key = await _usable_key(key)
    key_usage.touch(api_key.id)
    return actor_for_key(api_key)


async def _usable_key(key: str) -> ApiKey:
    if not is_well_formed(key):
        raise Unauthenticated(messages.INVALID_API_KEY, "malformed_key")
    key_hash = hash_key(key)
    api_key = key_cache.get(key_hash)
    if api_key is None:
        api_key = await ApiKey.find_one({"key_hash": key_hash})
        if api_key is None:
            raise Unauthenticated(messages.INVALID_API_KEY, "unknown_key")
        key_cache.put(api_key)
    if not api_key.active:
        raise Unauthenticated(messages.INACTIVE_API_KEY, "inactive_key", api_key)
    if api_key.expires_at is not None and api_key.expires_at <= utcnow():
        raise Unauthenticated(messages.EXPIRED_API_KEY, "expired_key", api_key)
    return api_key


async def authenticate(*, x_api_key: str | None, authorization: str | None) -> Actor:
    """Integrations API: an API key from the request headers, or 401."""
    key = credential_from_headers(x_api_key=x_api_key, authorization=authorization)
    if not key:
        raise Unauthenticated(messages.MISSING_API_KEY, "missing_key")
    return await actor_for_api_key(key)


async def authenticate_app(
    *, x_api_key: str | None, authorization: str | None, signer: TokenSigner
) -> Actor:
    """GraphQL: `X-API-Key` or a Bearer `sk_live_…` value is an API key; any other Bearer a JWT.

    The user is read on every request, so a suspended or deleted user's JWT stops at once.
    """
    bearer = bearer_value(authorization)
    if x_api_key or bearer is None or bearer.startswith(KEY_PREFIX):
        return await authenticate(x_api_key=x_api_key, authorization=authorization)
    user = await User.find_one({"_id": signer.verify(bearer).user_id})
    if user is None or user.status != UserStatus.ACTIVE:
        raise Unauthenticated(messages.INVALID_SESSION, "invalid_session")
    return actor_for_user(user)


async def tenant_of(
    *, x_api_key: str | None, authorization: str | None, signer: TokenSigner
) -> str | None:
    """The tenant a request's credential belongs to, with no other effect; None if invalid."""
    bearer = bearer_value(authorization)
    try:
        if x_api_key or bearer is None or bearer.startswith(KEY_PREFIX):
            key = credential_from_headers(x_api_key=x_api_key, authorization=authorization)
            return (await _usable_key(key)).gerant_id if key else None
        return signer.verify(bearer).gerant_id
    except Unauthenticated:
        return None


def is_cached_valid_key(credential: str) -> bool:
    """Whether this credential is a key this process validated moments ago (no database)."""
    if not is_well_formed(credential):
        return False
    api_key = key_cache.get(hash_key(credential))
    if api_key is None or not api_key.active:
        return False
    return api_key.expires_at is None or api_key.expires_at > utcnow()


def expiry_warning(actor: Actor, warning_days: int) -> str | None:
    """An RFC 7234-style `Warning` value when the key expires within `warning_days`."""
    expires_at = actor.api_key.expires_at if actor.api_key else None
    if expires_at is None or expires_at - utcnow() > timedelta(days=warning_days):
        return None
    when = expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'299 - "API key expires at {when}; create a new key and rotate before then"'
