"""Who may call each GraphQL field, declared on the field itself: default deny.

Every operation and every resolved field states one of these; a test fails for a field that
states none. The rules still check the finer permissions (a key's scopes, a store's scope).
"""

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info


class Public(BasePermission):
    """Anyone, with or without credentials (login, accepting an invitation)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


class Caller(BasePermission):
    """Any authenticated caller: an API key or a user session."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.actor()
        return True


class UserSession(BasePermission):
    """A logged-in user (gérant, manager or seller); API keys are refused."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.actor().require_user_session()
        return True


class GerantSession(BasePermission):
    """A logged-in gérant; API keys and staff are refused."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.actor().require_gerant_session()
        return True


ACCESS_CLASSES = (Public, Caller, UserSession, GerantSession)
