"""The event types the platform records, in one place: what webhook endpoints subscribe to and
what the event log writes (issue 22)."""

from collections.abc import Iterable
from enum import StrEnum

from contract import messages


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
    KPI_IMPORT_COMPLETED = "kpi_import.completed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_ROTATED = "api_key.rotated"
    API_KEY_DEACTIVATED = "api_key.deactivated"
    # Part of the contract (an endpoint may subscribe to it) but not recorded yet: the job that
    # finds keys 7 days before their expiry is still to come.
    API_KEY_EXPIRING = "api_key.expiring"


EVENT_TYPES: tuple[str, ...] = tuple(event_type.value for event_type in EventType)
# An endpoint subscribed to every type, those added later included.
ALL_EVENTS = "*"
# The test event a gérant sends to one endpoint: not one of EVENT_TYPES, so never in the feed and
# never subscribed to, only delivered where it was asked for.
PING = "ping"


def known(names: Iterable[str]) -> list[str]:
    """The named types once each, in the contract's order; a ValueError names any unknown one
    (a typo would silently match nothing)."""
    chosen = set(names)
    unknown = sorted(chosen - set(EVENT_TYPES))
    if unknown:
        raise ValueError(messages.UNKNOWN_EVENT_TYPES.format(names=", ".join(unknown)))
    return sorted(chosen, key=EVENT_TYPES.index)


def receives(subscribed: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `subscribed` receives events of `event_type` (a ping
    only where it was sent)."""
    return event_type in EVENT_TYPES and (ALL_EVENTS in subscribed or event_type in subscribed)
