"""The types of the events the log records, one place for the writer, the feed and webhooks."""

from enum import StrEnum


class EventType(StrEnum):
    STORE_CREATED = "store.created"
    STORE_UPDATED = "store.updated"
    STORE_DELETED = "store.deleted"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DELETED = "user.deleted"
    INVITATION_SENT = "invitation.sent"
    INVITATION_ACCEPTED = "invitation.accepted"
    KPI_SYNCED = "kpi.synced"
    API_KEY_CREATED = "api_key.created"
    API_KEY_ROTATED = "api_key.rotated"
    API_KEY_DEACTIVATED = "api_key.deactivated"


ALL_EVENT_TYPES = tuple(event_type.value for event_type in EventType)
