from django.core.management.base import BaseCommand

from warmbee.notify import sms


class Command(BaseCommand):
    help = "Try again to deliver the SMS messages still queued (run every few minutes)."

    def handle(self, *args, **options):
        self.stdout.write(f"{sms.retry_queued()} sent")
