"""Demo data for casework (``manage.py demo``)."""

from __future__ import annotations


def build(ctx) -> None:
    """Nothing yet."""
