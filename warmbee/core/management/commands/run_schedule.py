"""The scheduler of the embedded tier: runs the jobs of ``core/schedule.py`` when due.

``make run`` starts it beside ``db_worker``. Stop it with SIGTERM or Ctrl-C: it finishes the job
it is running and exits. Other tiers use cron instead (docs/operations.md, section 10).
"""

import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from warmbee.core import schedule


class Command(BaseCommand):
    help = "Run the platform's periodic jobs when they are due (the embedded tier's scheduler)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument("--job", help="Run this job now (if no scheduler is running it).")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between ticks (default 30)."
        )
        parser.add_argument(
            "--list", action="store_true", dest="show", help="List the jobs and exit."
        )

    def handle(self, *args, once=False, job=None, interval=30.0, show=False, **options):
        table = schedule.job_table()
        if show:
            for item in schedule.JOBS:
                when = f"daily at {item.at:%H:%M}" if item.at else f"every {item.every}"
                self.stdout.write(f"{item.name:24} {when}")
            return
        if job is not None:
            if job not in table:
                raise CommandError(f"unknown job {job!r}; one of: {', '.join(table)}")
            ran = schedule.run_job(table[job], timezone.now(), force=True)
            self.stdout.write(f"{job}: {'ran' if ran else 'held by another scheduler'}")
            return
        if once:
            ran = schedule.tick()
            self.stdout.write(f"ran: {', '.join(ran) or 'nothing due'}")
            return
        stopping = {"flag": False}

        def stop(signum, frame):
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"scheduler started: {len(table)} jobs, a tick every {interval:g} s")
        self.stdout.flush()
        while not stopping["flag"]:
            # A long-lived process: drop a connection the database closed or that is too old,
            # as a request would (and so a restarted PostgreSQL is reconnected to).
            close_old_connections()
            schedule.tick(should_stop=lambda: stopping["flag"])
            close_old_connections()
            deadline = time.monotonic() + interval
            while not stopping["flag"] and time.monotonic() < deadline:
                time.sleep(0.5)
        self.stdout.write("scheduler stopped")
