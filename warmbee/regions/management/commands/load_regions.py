from django.core.management.base import BaseCommand, CommandError

from warmbee.regions.loader import RegionDataError, load_regions, read_meta


class Command(BaseCommand):
    help = "Load or update the GB/T 2260 administrative divisions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--townships",
            nargs="*",
            default=[],
            metavar="PREFIX",
            help="also load townships under these code prefixes, e.g. 2306 for Daqing",
        )

    def handle(self, *args, townships, **options):
        meta = read_meta()
        try:
            result = load_regions(townships=townships)
        except RegionDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{meta['table']} ({meta['publisher']}, {meta['as_of']}): "
            f"{result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.retired} retired"
        )
