"""Delete the rate-limit windows that have ended (``core.RateCounter``); hourly in the schedule."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from warmbee.core.models import RateCounter


class Command(BaseCommand):
    help = "Delete ended rate-limit windows."

    def handle(self, *args, **options):
        deleted, _ = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
        self.stdout.write(f"{deleted} ended rate-limit windows deleted")
