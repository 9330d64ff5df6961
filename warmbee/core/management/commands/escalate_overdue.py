"""Escalate overdue deadlines (``core/deadlines.py``); the scheduler runs it every 5 minutes."""

from django.core.management.base import BaseCommand

from warmbee.core import deadlines


class Command(BaseCommand):
    help = "Escalate every overdue deadline (civic reports, cases, aid applications). Run every 5 minutes."

    def handle(self, *args, **options):
        counts = deadlines.run_escalations()
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items()) or "no deadline sources"
        self.stdout.write(f"escalated — {summary}")
