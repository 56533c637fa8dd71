"""The domain's enums as GraphQL enums (registered once, on the models' own classes)."""

import strawberry

from models import DeliveryStatus, Role, UserStatus, WebhookEndpointStatus

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

__all__ = ["DeliveryStatus", "Role", "UserStatus", "WebhookEndpointStatus"]
