"""The domain's enums as GraphQL enums (registered once, on the models' own classes)."""

import strawberry

from models import (
    DeliveryStatus,
    ImportFormat,
    ImportStatus,
    Role,
    UserStatus,
    WebhookEndpointStatus,
)

strawberry.enum(Role, description="GERANT: the chain's owner; MANAGER: a store's manager; SELLER.")
strawberry.enum(
    UserStatus,
    description="ACTIVE; SUSPENDED: cannot log in (his store was closed, or he was suspended); "
    "DELETED: soft-deleted, kept for his history.",
)

strawberry.enum(
    WebhookEndpointStatus, description="ENABLED: events are sent to it; DISABLED: none are."
)

strawberry.enum(
    DeliveryStatus,
    description="PENDING: its next attempt is due at nextAttemptAt; SENDING: an attempt is under "
    "way; DELIVERED: a 2xx answered; FAILED: the retry schedule is spent.",
)

strawberry.enum(
    ImportStatus,
    name="KpiImportStatus",
    description="QUEUED: its file is stored, waiting for a worker; RUNNING; COMPLETED: every line "
    "written or refused; FAILED: it could not run after several attempts (send it again).",
)
strawberry.enum(
    ImportFormat,
    name="KpiImportFormat",
    description="NDJSON: one JSON object a line; CSV: a header row, then one row a line.",
)

__all__ = [
    "DeliveryStatus",
    "ImportFormat",
    "ImportStatus",
    "Role",
    "UserStatus",
    "WebhookEndpointStatus",
]
