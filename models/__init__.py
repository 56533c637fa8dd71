"""Beanie documents; DOCUMENT_MODELS is the one list given to init_beanie everywhere."""

from beanie import Document

from models.api_key import ApiKey
from models.audit_record import AuditRecord
from models.event import Event
from models.idempotency_record import IdempotencyRecord
from models.invitation import Invitation, InvitationStatus
from models.kpi_entry import KpiEntry
from models.kpi_import import ImportFormat, ImportStatus, KpiImport, KpiImportChunk, KpiImportError
from models.kpi_rollup import KpiRollup, RollupKind
from models.maintenance import Checkpoint
from models.outbox_mail import OutboxMail
from models.rate_limit_counter import RateLimitCounter
from models.store import Store
from models.user import Role, User, UserStatus
from models.webhook_delivery import DeliveryStatus, WebhookDelivery
from models.webhook_endpoint import WebhookEndpoint, WebhookEndpointStatus

DOCUMENT_MODELS: list[type[Document]] = [
    User,
    Store,
    ApiKey,
    KpiEntry,
    KpiRollup,
    Checkpoint,
    AuditRecord,
    RateLimitCounter,
    IdempotencyRecord,
    Invitation,
    OutboxMail,
    Event,
    WebhookEndpoint,
    WebhookDelivery,
    KpiImport,
    KpiImportChunk,
    KpiImportError,
]

__all__ = [
    "DOCUMENT_MODELS",
    "ApiKey",
    "AuditRecord",
    "Checkpoint",
    "DeliveryStatus",
    "Event",
    "IdempotencyRecord",
    "ImportFormat",
    "ImportStatus",
    "Invitation",
    "InvitationStatus",
    "KpiEntry",
    "KpiImport",
    "KpiImportChunk",
    "KpiImportError",
    "KpiRollup",
    "OutboxMail",
    "RateLimitCounter",
    "Role",
    "RollupKind",
    "Store",
    "User",
    "UserStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointStatus",
]
