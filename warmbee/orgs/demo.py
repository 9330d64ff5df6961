"""Demo data for this app (``manage.py demo``); see ``warmbee/core/demo.py``."""

from __future__ import annotations


def build(ctx) -> None:
    """Idempotent: creates nothing when the demo data already exists."""
