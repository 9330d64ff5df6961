"""Expire unspent earned points past their expiry and time out unconfirmed redemptions.

Run daily (e.g. from the scheduler in ``warmbee/core/schedule.py`` or cron)::

    manage.py expire_points
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from warmbee.points.services import points_expire_due


class Command(BaseCommand):
    help = "Expire unspent earned points past POINTS_EXPIRY_DAYS (safe to run twice)."

    def handle(self, *args, **options):
        expired = points_expire_due()
        self.stdout.write(f"{expired} points expired")
