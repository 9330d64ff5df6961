from django.core.management.base import BaseCommand

from warmbee.accounts.services import disable_idle_staff


class Command(BaseCommand):
    help = "Disable staff accounts with no login for WARMBEE_STAFF_DISABLE_AFTER_DAYS (R8)."

    def handle(self, *args, **options):
        disabled = disable_idle_staff()
        self.stdout.write(f"{len(disabled)} idle staff accounts disabled")
