"""The REST compatibility router: each documented /api/integrations endpoint onto its resolver."""

from fastapi import APIRouter

from rest_compat import kpi, kpi_reports, me, stores, users

router = APIRouter()
router.include_router(me.router)
router.include_router(stores.router)
router.include_router(kpi.router)
router.include_router(kpi_reports.router)
router.include_router(users.router)
