"""Load grid areas from a GeoJSON FeatureCollection (``regions.services.grid_import``)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from warmbee.core.errors import DomainError
from warmbee.regions.services import grid_import


class Command(BaseCommand):
    help = (
        "Load grid areas from a GeoJSON FeatureCollection whose features have the properties "
        "code, name and community (GB/T 2260 code). All or nothing; upserts by code."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")

    def handle(self, *args, file: Path, dry_run=False, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            report = grid_import(actor=None, data=data, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        for error in report.errors:
            self.stderr.write(f"feature {error.row}, {error.column}: {error.message}")
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} errors in {report.failed_rows} features; nothing written"
            )
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"{report.total} features: {verb} {report.created}, "
            f"{'would update' if dry_run else 'updated'} {report.updated}, "
            f"unchanged {report.total - report.created - report.updated}"
        )
