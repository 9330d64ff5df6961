"""Retention purges (R28): what an app keeps only for a while, and the daily job that removes it.

An app registers a *retention rule* once, in its ``AppConfig.ready()``::

    from warmbee.core import retention

    retention.register(
        "civic.photos",
        expired=services.photos_expired,   # (now) -> objects past their period, bounded
        purge=services.photos_purge,       # (obj, now) -> None; False if nothing to do
    )

``run_purges()`` (``manage.py purge_expired``, daily at 03:30 by the scheduler or cron) asks
every rule for its expired objects and purges each in its own transaction, like the deadline
sweep (``core.deadlines.run_sweep``). A purge deletes or anonymises the object's personal data,
rows and files alike, writes an audit row with ``actor=None`` that names what went (never the
data itself), and is idempotent: a second run finds nothing. Files are deleted after the
commit, so a rolled-back purge leaves no row pointing at a missing file.

The periods are settings (docs/operations.md): a deployer sets them with their data-protection
officer. ``WARMBEE_RETENTION_*`` lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .deadlines import run_sweep


@dataclass(frozen=True)
class Rule:
    name: str
    expired: Callable[[dt.datetime], Iterable[Any]]
    purge: Callable[[Any, dt.datetime], bool | None]


_RULES: dict[str, Rule] = {}


def register(
    name: str,
    *,
    expired: Callable[[dt.datetime], Iterable[Any]],
    purge: Callable[[Any, dt.datetime], bool | None],
) -> None:
    """Register a retention rule (from ``AppConfig.ready()``); a name registered again replaces
    the first."""
    _RULES[name] = Rule(name, expired, purge)


def rules() -> dict[str, Rule]:
    return dict(_RULES)


def run_purges(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Purge every expired object of every rule; returns ``{rule: purged}``."""
    return run_sweep(
        {name: (r.expired, r.purge) for name, r in _RULES.items()},
        now=now or timezone.now(),
        what="retention rule",
        doing="purging",
    )
