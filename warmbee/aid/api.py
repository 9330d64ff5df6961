"""The aid part of the JSON API under ``/api/v1/aid/``."""

from ninja import Router

router = Router(tags=["aid"])
