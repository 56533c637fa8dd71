"""The REST compatibility routers: each documented /api/integrations endpoint onto its resolver."""

from fastapi import APIRouter

from rest_compat import (
    events,
    kpi,
    kpi_imports,
    kpi_reconciliation,
    me,
    stores,
    users,
    webhook_endpoints,
)

# Included one by one under edge.paths.INTEGRATIONS_PREFIX: a router of routers would be
# matched twice per request.
ROUTERS: list[APIRouter] = [
    me.router,
    stores.router,
    kpi.router,
    kpi_imports.router,
    kpi_reconciliation.router,
    users.router,
    events.router,
    webhook_endpoints.router,
]
