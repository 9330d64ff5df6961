"""The casework part of the JSON API under ``/api/v1/casework/``."""

from ninja import Router

router = Router(tags=["casework"])
