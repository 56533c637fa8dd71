"""The event log's settings, for the REST operations that change state (they record events)."""

from typing import Annotated

from fastapi import Depends, Request

from edge.context import services
from infra.event_log import EventLog


def event_log(request: Request) -> EventLog:
    return services(request.scope).events


Events = Annotated[EventLog, Depends(event_log)]
