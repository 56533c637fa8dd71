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


def known(names: Iterable[str]) -> list[str]:
    """The named types once each, in the contract's order; a ValueError names any unknown one
    (a typo would silently match nothing)."""
    chosen = set(names)
    unknown = sorted(chosen - set(EVENT_TYPES))
    if unknown:
        raise ValueError(messages.UNKNOWN_EVENT_TYPES.format(names=", ".join(unknown)))
    return sorted(chosen, key=EVENT_TYPES.index)
