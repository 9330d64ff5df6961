"""The workers part of the JSON API under ``/api/v1/workers/``."""

from ninja import Router

router = Router(tags=["workers"])
