"""The points part of the JSON API under ``/api/v1/points/``."""

from ninja import Router

router = Router(tags=["points"])
