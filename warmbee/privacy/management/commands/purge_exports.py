from django.core.management.base import BaseCommand

from warmbee.privacy.services import exports_purge


class Command(BaseCommand):
    help = (
        "Delete the files of approved personal-data exports past WARMBEE_EXPORT_TTL_HOURS and "
        "mark them expired (R29). Run hourly."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{exports_purge()} expired exports deleted")
