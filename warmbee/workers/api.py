"""The workers part of the JSON API under ``/api/v1/workers/``."""

from ninja import Router

from .api_coverage import router as coverage_router

router = Router(tags=["workers"])
router.add_router("", coverage_router)
