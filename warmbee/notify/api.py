"""The notify part of the JSON API under ``/api/v1/notify/``."""

from ninja import Router

router = Router(tags=["notify"])
