"""The platform's periodic jobs, in one table, and the scheduler of the embedded tier.

``JOBS`` lists every periodic job once. The embedded tier runs them with
``manage.py run_schedule`` (started by ``make run`` beside ``db_worker``); the one-server and
province tiers run the same commands from cron (docs/operations.md, section 10). ADR 0012.

A tick (``tick(now=…)``) runs each job that is due. Before running, a scheduler *takes* the job
with one conditional UPDATE of its ``ScheduledJob`` row (lock expired, and ``last_started_at``
still what it read): two schedulers, on one machine or several, never run the same job at once,
and a job is not run twice for one slot. A scheduler killed mid-job leaves a lock that expires
after the job's ``lock_minutes``. A job that raises is logged and recorded on its row; the
other jobs and later ticks carry on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.db.models import F, Q
from django.utils import timezone

from .models import ScheduledJob

log = logging.getLogger(__name__)


def command(name: str, *args: str) -> Callable[[], str]:
    """A job that runs ``manage.py <name> <args>``, returning what it printed."""

    def run() -> str:
        out = StringIO()
        call_command(name, *args, stdout=out)
        return out.getvalue().strip()

    run.__name__ = name
    return run


@dataclass(frozen=True)
class Job:
    """``every``: run when this long has passed since the last start. ``at``: a daily job, run
    once a day at or after this local (``TIME_ZONE``) time."""

    name: str
    run: Callable[[], object]
    every: dt.timedelta | None = None
    at: dt.time | None = None
    lock_minutes: int = 60

    def is_due(self, last_started: dt.datetime | None, now: dt.datetime) -> bool:
        if self.at is not None:
            local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
            slot = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
            if local < slot:
                slot -= dt.timedelta(days=1)
            return last_started is None or last_started < slot
        assert self.every is not None
        return last_started is None or now - last_started >= self.every


MINUTES = dt.timedelta(minutes=1)

# Every periodic job of the platform. Keep docs/operations.md (section 10, the crontab) in step.
JOBS: tuple[Job, ...] = (
    Job("escalate_overdue", command("escalate_overdue"), every=5 * MINUTES, lock_minutes=30),
    Job("send_queued_sms", command("send_queued_sms"), every=5 * MINUTES, lock_minutes=30),
    Job("resume_imports", command("resume_imports"), every=5 * MINUTES, lock_minutes=120),
    Job("refresh_coverage", command("refresh_coverage"), every=15 * MINUTES, lock_minutes=60),
    Job("purge_exports", command("purge_exports"), every=60 * MINUTES, lock_minutes=30),
    Job("purge_payment_lists", command("purge_payment_lists"), every=60 * MINUTES, lock_minutes=30),
    Job("purge_rate_counters", command("purge_rate_counters"), every=60 * MINUTES, lock_minutes=30),
    Job("disable_idle_staff", command("disable_idle_staff"), at=dt.time(2, 10)),
    Job("expire_points", command("expire_points"), at=dt.time(3, 0), lock_minutes=60),
    Job("purge_expired", command("purge_expired"), at=dt.time(3, 30), lock_minutes=60),
    Job("backup", command("backup"), at=dt.time(2, 20), lock_minutes=180),
    Job("verify_audit_chain", command("verify_audit_chain"), at=dt.time(2, 40), lock_minutes=180),
    Job(
        "prune_db_task_results",
        command("prune_db_task_results", "--min-age-days", "30"),
        at=dt.time(2, 50),
    ),
)


def job_table() -> dict[str, Job]:
    return {job.name: job for job in JOBS}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def take(job: Job, now: dt.datetime, *, owner: str | None = None, force: bool = False) -> bool:
    """Take ``job`` for a run at ``now`` if it is due (or ``force``) and nobody holds it."""
    row, _ = ScheduledJob.objects.get_or_create(name=job.name)
    if row.locked_until is not None and row.locked_until > now:
        return False
    if not force and not job.is_due(row.last_started_at, now):
        return False
    free = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    seen = (
        Q(last_started_at__isnull=True)
        if row.last_started_at is None
        else Q(last_started_at=row.last_started_at)
    )
    taken = (
        ScheduledJob.objects.filter(free, seen, name=job.name).update(
            locked_until=now + dt.timedelta(minutes=job.lock_minutes),
            locked_by=owner or worker_id(),
            last_started_at=now,
        )
        == 1
    )
    return taken


def release(job: Job, *, ok: bool, error: str = "", finished: dt.datetime | None = None) -> None:
    ScheduledJob.objects.filter(name=job.name).update(
        locked_until=None,
        locked_by="",
        last_finished_at=finished or timezone.now(),
        last_ok=ok,
        last_error=error[:300],
        runs=F("runs") + 1,
    )


def run_job(job: Job, now: dt.datetime, *, owner: str | None = None, force: bool = False) -> bool:
    """Take, run and release one job. Returns whether it ran (successfully or not)."""
    if not take(job, now, owner=owner, force=force):
        return False
    started = time.monotonic()
    try:
        output = job.run()
    except KeyboardInterrupt:
        release(job, ok=False, error="interrupted")
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a failing job never stops the loop
        log.exception("scheduled job %s failed", job.name)
        release(job, ok=False, error=f"{type(exc).__name__}: {exc}")
        return True
    log.info(
        "scheduled job %s done in %.1f s: %s", job.name, time.monotonic() - started, output or ""
    )
    release(job, ok=True)
    return True


def tick(
    *,
    now: dt.datetime | None = None,
    jobs: tuple[Job, ...] | None = None,
    owner: str | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[str]:
    """Run every due job once; returns the names of the jobs that ran."""
    ran = []
    for job in JOBS if jobs is None else jobs:
        if should_stop():
            break
        try:
            if run_job(job, now or timezone.now(), owner=owner):
                ran.append(job.name)
        except Exception:  # noqa: BLE001 - the lock row itself failed (database busy): next tick
            log.exception("scheduled job %s could not be taken", job.name)
    return ran
