"""The event types the platform records, in one place: what webhook endpoints subscribe to and
what the event log writes (issue 22)."""

from collections.abc import Iterable

from contract import messages

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
