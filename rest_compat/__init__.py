"""The REST compatibility routers: each documented /api/integrations endpoint onto its resolver."""

from fastapi import APIRouter

from edge.paths import INTEGRATIONS_PREFIX
from rest_compat import kpi, kpi_reconciliation, me, stores, users

PREFIX = INTEGRATIONS_PREFIX
# Included one by one under PREFIX: a router of routers would be matched twice per request.
ROUTERS: list[APIRouter] = [
    me.router,
    stores.router,
    kpi.router,
    kpi_reconciliation.router,
    users.router,
]
