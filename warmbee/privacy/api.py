"""The privacy part of the JSON API under ``/api/v1/privacy/``."""

from ninja import Router

router = Router(tags=["privacy"])
