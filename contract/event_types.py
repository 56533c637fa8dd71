"""The event types the platform records, in one place: what webhook endpoints subscribe to and
what the event log writes (issue 22)."""

EVENT_TYPES: tuple[str, ...] = (
    "store.created",
    "store.updated",
    "store.deleted",
    "user.created",
    "user.updated",
    "user.deleted",
    "invitation.sent",
    "invitation.accepted",
    "kpi.synced",
    "api_key.created",
    "api_key.rotated",
    "api_key.deactivated",
    "api_key.expiring",
)
# An endpoint subscribed to every type, those added later included.
ALL_EVENTS = "*"
