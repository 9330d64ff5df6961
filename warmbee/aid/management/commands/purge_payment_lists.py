"""Delete expired aid payment-list files (R29); run hourly beside ``purge_exports``."""

from django.core.management.base import BaseCommand

from warmbee.aid.services import payment_lists_purge


class Command(BaseCommand):
    help = "Delete aid payment-list files older than EXPORT_TTL_HOURS and mark them expired."

    def handle(self, *args, **options):
        done = payment_lists_purge()
        self.stdout.write(f"{done} payment list(s) expired")
