from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Disabled: WarmBee has no superusers. Use create_sysadmin or create_user."

    def handle(self, *args, **options):
        raise CommandError("WarmBee has no superusers: use `manage.py create_sysadmin` (R6, R8).")
