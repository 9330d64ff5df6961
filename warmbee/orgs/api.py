"""The orgs part of the JSON API under ``/api/v1/orgs/``."""

from ninja import Router

router = Router(tags=["orgs"])
