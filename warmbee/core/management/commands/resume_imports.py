"""Resume imports whose worker died (kill -9, a restart) and give up on abandoned ones (R41).

Schedule it every few minutes beside the task worker (docs/operations.md)."""

from django.core.management.base import BaseCommand

from warmbee.core import import_jobs


class Command(BaseCommand):
    help = "Resume background imports whose worker stopped; abandon those too old to resume."

    def add_arguments(self, parser):
        parser.add_argument("--job", type=int, help="Run this job only (if nobody else is).")

    def handle(self, *args, job=None, **options):
        if job is not None:
            done = import_jobs.run(job)
            self.stdout.write(f"job {job}: {done.status if done else 'taken by another worker'}")
            return
        counts = import_jobs.resume_stale()
        self.stdout.write(f"{counts['resumed']} resumed, {counts['abandoned']} abandoned")
