"""The aid rows of the authorisation matrix (merged by core/tests/test_matrix.py)."""

from __future__ import annotations


def routes(Route) -> dict:
    return {}
