"""Who is calling: the typed principal built once at the edge and passed to every resolver."""

from collections.abc import Iterable
from dataclasses import dataclass

from contract import messages
from contract.errors import Forbidden
from contract.permissions import Permission
from models import ApiKey, Role, User


@dataclass(frozen=True)
class Actor:
    """An authenticated caller: an API key, or a user logged in with a JWT (App API)."""

    gerant_id: str
    permissions: frozenset[str]
    store_ids: frozenset[str] | None
    api_key: ApiKey | None = None
    user: User | None = None
    own_seller_id: str | None = None  # a seller's session: KPI reads narrowed to his own

    @property
    def key_id(self) -> str | None:
        return self.api_key.id if self.api_key else None

    @property
    def is_store_restricted(self) -> bool:
        """Whether the caller is limited to a list of stores (not null nor ["*"])."""
        return self.store_ids is not None

    def require(self, permission: Permission) -> None:
        """Raise 403 unless the caller holds `permission`."""
        if permission.value not in self.permissions:
            raise Forbidden(messages.INSUFFICIENT_PERMISSIONS.format(permission=permission.value))

    def require_gerant_session(self) -> User:
        """The logged-in gérant; API keys and other roles get 403."""
        if self.user is None or self.user.role != Role.GERANT:
            raise Forbidden(messages.GERANT_SESSION_REQUIRED)
        return self.user

    def require_user_session(self) -> User:
        """The logged-in user (gérant, manager or seller); API keys get 403."""
        if self.user is None:
            raise Forbidden(messages.USER_SESSION_REQUIRED)
        return self.user

    def can_access_store(self, store_id: str | None) -> bool:
        """Whether the store scope covers `store_id` (a null store only for global callers)."""
        if self.store_ids is None:
            return True
        return store_id is not None and store_id in self.store_ids

    def require_store(self, store_id: str | None) -> None:
        """Raise 403 unless the store scope covers `store_id`."""
        if self.can_access_store(store_id):
            return
        if self.api_key is None:
            raise Forbidden(messages.STORE_NOT_IN_USER_SCOPE)
        raise Forbidden(messages.STORE_NOT_IN_KEY_SCOPE)

    def scoped_store_ids(self, store_ids: Iterable[str]) -> list[str]:
        """The subset of `store_ids` this caller may access."""
        return [s for s in store_ids if self.can_access_store(s)]
