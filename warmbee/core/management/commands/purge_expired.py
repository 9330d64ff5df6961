"""Delete or anonymise personal data past its retention period (R28, ``core/retention.py``)."""

from django.core.management.base import BaseCommand

from warmbee.core import retention


class Command(BaseCommand):
    help = (
        "Delete or anonymise what is past its retention period (report photos, rejected aid "
        "applications, health case contents). Run daily."
    )

    def handle(self, *args, **options):
        counts = retention.run_purges()
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items()) or "no retention rules"
        self.stdout.write(f"purged — {summary}")
