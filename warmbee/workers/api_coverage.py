"""Coverage figures in the JSON API (counts only), mounted on the workers router."""

from ninja import Router

router = Router(tags=["workers"])
