"""The REST compatibility router: each documented /api/integrations endpoint onto its resolver."""

from fastapi import APIRouter

from rest_compat import me

router = APIRouter()
router.include_router(me.router)
