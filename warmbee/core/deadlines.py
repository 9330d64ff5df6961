"""Deadlines (SLA) and their escalation, shared by civic reports, casework and aid.

An app computes a deadline with ``due_after`` when the clock starts and stores it on its own
row (e.g. ``CivicReport.due_at``). It registers a *deadline source* once, in its
``AppConfig.ready()``::

    from warmbee.core import deadlines

    deadlines.register(
        "civic.report",
        overdue=selectors.reports_overdue,   # (now) -> iterable of objects past due
        escalate=services.report_escalate,   # (obj, now) -> None
    )

``run_escalations()`` (the ``escalate_overdue`` task and command, run every 5 minutes by the
scheduler or cron, ADR 0012) asks every source for its overdue objects and escalates each.

The contract a source keeps:

* ``overdue(now)`` returns the objects whose deadline is before ``now`` **and that are not yet
  escalated** (for that deadline). It is a read: no writes, no locks. Return a queryset or a
  list; keep it bounded (the job runs again in 5 minutes).
* ``escalate(obj, now)`` runs in its own ``transaction.atomic()``. It re-reads the object under
  ``select_for_update()``, returns quietly if the object is no longer overdue or already
  escalated (another run, or a person, got there first), and otherwise *marks* it (e.g.
  ``escalated_at = now``, or raises its escalation level) in the same transaction as everything
  it does: notifying the supervisor (``notify.services.notify_user``), an audit row with
  ``actor=None``. Because the mark and the effects commit together, running twice escalates
  once: escalation is idempotent.
* ``escalate`` may return ``False`` to say it had nothing to do (not counted); ``None`` or
  anything else counts as one escalation.
* ``escalate`` may raise: that object's transaction rolls back, the error is logged, and the
  other objects are still escalated. It is tried again on the next run.
* ``now`` is passed in (never read the clock inside), so tests and catch-up runs are exact.

Deadlines are calendar hours (``due_after``): a 48-hour SLA started on Friday at 18:00 is due on
Sunday at 18:00. Working-day calendars (holidays, 调休 make-up days) are a later refinement; a
source that needs one computes its own ``due_at`` and still uses ``register``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def due_after(start: dt.datetime, *, hours: float) -> dt.datetime:
    """``start`` plus ``hours`` calendar hours (nights, weekends and holidays count).

    ``start`` must be timezone-aware; the result is in UTC, as stored."""
    if timezone.is_naive(start):
        raise ValueError("due_after needs an aware datetime")
    if hours < 0:
        raise ValueError("hours must not be negative")
    return (start + dt.timedelta(hours=hours)).astimezone(dt.UTC)


@dataclass(frozen=True)
class Source:
    name: str
    overdue: Callable[[dt.datetime], Iterable[Any]]
    escalate: Callable[[Any, dt.datetime], bool | None]


_SOURCES: dict[str, Source] = {}


def register(
    name: str,
    *,
    overdue: Callable[[dt.datetime], Iterable[Any]],
    escalate: Callable[[Any, dt.datetime], None],
) -> None:
    """Register a deadline source (from ``AppConfig.ready()``). Registering a name again
    replaces it (autoreload and tests call ``ready()`` more than once)."""
    _SOURCES[name] = Source(name, overdue, escalate)


def unregister(name: str) -> None:
    _SOURCES.pop(name, None)


def sources() -> dict[str, Source]:
    return dict(_SOURCES)


def run_escalations(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate every overdue object of every source; returns ``{source: escalated}``.

    Each ``escalate`` runs in its own transaction; a failing object (or a failing ``overdue``)
    is logged and skipped."""
    return run_sweep(
        {name: (s.overdue, s.escalate) for name, s in _SOURCES.items()},
        now=now or timezone.now(),
        what="deadline source",
        doing="escalating",
    )


def run_sweep(
    sources: dict[str, tuple[Callable, Callable]], *, now: dt.datetime, what: str, doing: str
) -> dict[str, int]:
    """``{name: (find, act)}``: for each, ``act(obj, now)`` on every object ``find(now)``
    returns, each in its own transaction; a failing object (or a failing ``find``) is logged
    and skipped, to be tried again on the next run. ``act`` returning ``False`` is not counted.
    Deadlines and retention purges (``core.retention``) are both such sweeps."""
    counts: dict[str, int] = {}
    for name, (find, act) in sorted(sources.items()):
        counts[name] = 0
        try:
            objects = list(find(now))
        except Exception:  # noqa: BLE001 - one broken source must not stop the others
            log.exception("%s %s: listing objects failed", what, name)
            continue
        for obj in objects:
            try:
                with transaction.atomic():
                    done = act(obj, now)
            except Exception:  # noqa: BLE001 - logged; retried on the next run
                log.exception("%s %s: %s %s failed", what, name, doing, getattr(obj, "pk", obj))
                continue
            if done is not False:
                counts[name] += 1
    return counts
