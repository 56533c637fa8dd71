"""Webhook endpoints: where a tenant's events are sent, and the secrets that sign them.

Unlike an API key, the signing secret is stored as it is: Standard Webhooks signs with the key
itself. It is shown only at creation and rotation, never rendered otherwise, and kept out of
`repr` so that no log line carries it.
"""

from datetime import datetime
from enum import StrEnum
from functools import partial

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from models.clock import UtcDateTime, utcnow
from models.ids import OPERATION_INDEX, new_id


class WebhookEndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class WebhookEndpoint(Document):
    id: str = Field(default_factory=partial(new_id, "we"))  # type: ignore[assignment]
    gerant_id: str
    url: str
    events: list[str]  # event types, or ["*"]
    description: str | None = None
    status: WebhookEndpointStatus = WebhookEndpointStatus.ENABLED
    secret: str = Field(repr=False)
    # After a rotation, the former secret keeps signing beside the new one until its end.
    previous_secret: str | None = Field(default=None, repr=False)
    previous_secret_expires_at: UtcDateTime | None = None
    # The operation of the last rotation: its retry shows the secret it made, never another.
    rotation_operation_id: str | None = None
    created_at: UtcDateTime = Field(default_factory=utcnow)
    updated_at: UtcDateTime = Field(default_factory=utcnow)
    operation_id: str | None = None  # the operation that created it (models/operations.py)
    # Since when every attempt to it failed (none since its last success): past
    # RPAI_WEBHOOK_DISABLE_AFTER_DAYS the delivery workers disable it.
    failing_since: UtcDateTime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery made at `now` is signed with: the current one, and the
        previous one until its end."""
        expires = self.previous_secret_expires_at
        if self.previous_secret is None or expires is None or expires <= now:
            return [self.secret]
        return [self.secret, self.previous_secret]

    class Settings:
        name = "webhook_endpoints"
        indexes = [
            OPERATION_INDEX,
            IndexModel(
                [("gerant_id", ASCENDING), ("created_at", ASCENDING)], name="tenant_created"
            ),
        ]
