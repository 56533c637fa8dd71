"""Who a credential stands for: the rules turning an API key or a session into an Actor."""

from contract import messages
from contract.actor import Actor
from contract.errors import RefusedKey, Unauthenticated
from contract.permissions import ALL_PERMISSIONS, ALL_STORES, Permission
from infra.api_key_format import hash_key, is_well_formed
from infra.key_directory import KeyDirectory
from infra.rechecks import Rechecks
from infra.tokens import TokenSigner, session_stamp
from models import ApiKey, Role, User, UserStatus
from models.clock import utcnow

MANAGER_PERMISSIONS = frozenset(
    {Permission.STORES_READ.value, Permission.USERS_READ.value, Permission.KPI_READ.value}
)
SELLER_PERMISSIONS = frozenset({Permission.KPI_READ.value})


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


def refused(api_key: ApiKey) -> RefusedKey:
    """What a refusal says of the stored key it was for."""
    return RefusedKey(id=api_key.id, gerant_id=api_key.gerant_id, prefix=api_key.prefix)


async def actor_for_api_key(key: str, *, keys: KeyDirectory) -> Actor:
    """Check one API key: shape and checksum first (no database), then its stored state."""
    if not is_well_formed(key):
        raise Unauthenticated(messages.INVALID_API_KEY, "malformed_key")
    key_hash = hash_key(key)
    api_key = await keys.find(key_hash)
    if api_key is None:
        raise Unauthenticated(messages.INVALID_API_KEY, "unknown_key")
    if not api_key.active:
        raise Unauthenticated(messages.INACTIVE_API_KEY, "inactive_key", refused(api_key))
    if api_key.expires_at is not None and api_key.expires_at <= utcnow():
        raise Unauthenticated(messages.EXPIRED_API_KEY, "expired_key", refused(api_key))
    return actor_for_key(api_key)


async def actor_for_session(
    token: str, *, signer: TokenSigner, rechecks: Rechecks[User | None] | None = None
) -> Actor:
    """A session token's user, read on every request: a suspended or deleted user's tokens,
    and tokens issued before a password change, stop at once. A check of a websocket's
    session again (`rechecks`) shares its user's read with every other check of that tick."""
    claims = signer.verify(token)
    user = None
    if claims is not None:
        user_id = claims.user_id

        async def load() -> User | None:
            return await User.find_one({"_id": user_id})

        user = await (load() if rechecks is None else rechecks.read(user_id, load))
    if (
        claims is None
        or user is None
        or user.status != UserStatus.ACTIVE
        or claims.password_stamp != session_stamp(user)
    ):
        raise Unauthenticated(messages.INVALID_SESSION, "invalid_session")
    return actor_for_user(user)
