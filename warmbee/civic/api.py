"""The civic part of the JSON API under ``/api/v1/civic/``."""

from ninja import Router

router = Router(tags=["civic"])
