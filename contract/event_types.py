"""The types of events the log records (issue 22): the names integrators filter the feed and
subscribe webhooks with."""

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
