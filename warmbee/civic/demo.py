"""Demo data for civic (``manage.py demo``)."""

from __future__ import annotations


def build(ctx) -> None:
    """Nothing yet."""
