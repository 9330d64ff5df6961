"""Recount the coverage figures (``workers.coverage.refresh``); schedule it (docs/operations.md)."""

from django.core.management.base import BaseCommand

from warmbee.workers import coverage


class Command(BaseCommand):
    help = "Rebuild the coverage counts (union membership, insurance, certificates, outlets, stations)."

    def handle(self, *args, **options):
        rows = coverage.refresh()
        self.stdout.write(f"{rows} coverage rows")
