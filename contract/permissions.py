"""The permissions (scopes) an API key can hold, and the store wildcard."""

from enum import StrEnum


class Permission(StrEnum):
    STORES_READ = "stores:read"
    STORES_WRITE = "stores:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    KPI_WRITE = "kpi:write"
    KPI_READ = "kpi:read"
    EVENTS_READ = "events:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"


ALL_PERMISSIONS: tuple[str, ...] = tuple(p.value for p in Permission)
ALL_STORES = "*"
