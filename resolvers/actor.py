"""Who is calling: the typed principal built once at the edge and passed to every resolver."""

from collections.abc import Iterable
from dataclasses import dataclass

from models import ApiKey
from resolvers import messages
from resolvers.errors import Forbidden
from resolvers.permissions import Permission


@dataclass(frozen=True)
class Actor:
    """An authenticated API key: its tenant, permissions and store scope."""

    gerant_id: str
    permissions: frozenset[str]
    store_ids: frozenset[str] | None
    api_key: ApiKey

    @property
    def key_id(self) -> str:
        return self.api_key.id

    @property
    def is_store_restricted(self) -> bool:
        """Whether the key is limited to a list of stores (not null nor ["*"])."""
        return self.store_ids is not None

    def require(self, permission: Permission) -> None:
        """Raise 403 unless the key holds `permission`."""
        if permission.value not in self.permissions:
            raise Forbidden(messages.INSUFFICIENT_PERMISSIONS.format(permission=permission.value))

    def can_access_store(self, store_id: str | None) -> bool:
        """Whether the key's store scope covers `store_id` (a null store only for global keys)."""
        if self.store_ids is None:
            return True
        return store_id is not None and store_id in self.store_ids

    def require_store(self, store_id: str | None) -> None:
        """Raise 403 unless the key's store scope covers `store_id`."""
        if not self.can_access_store(store_id):
            raise Forbidden(messages.STORE_NOT_IN_KEY_SCOPE)

    def scoped_store_ids(self, store_ids: Iterable[str]) -> list[str]:
        """The subset of `store_ids` this key may access."""
        return [s for s in store_ids if self.can_access_store(s)]
