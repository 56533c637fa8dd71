"""The REST compatibility routers: each documented /api/integrations endpoint onto its resolver."""

from fastapi import APIRouter

from rest_compat import kpi, kpi_reports, me, stores, users

PREFIX = "/api/integrations"
# Included one by one under PREFIX: a router of routers would be matched twice per request.
ROUTERS: list[APIRouter] = [me.router, stores.router, kpi.router, kpi_reports.router, users.router]
