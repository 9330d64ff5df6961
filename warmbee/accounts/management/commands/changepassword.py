from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Disabled: passwords are set by their owners through an activation link."

    def handle(self, *args, **options):
        raise CommandError(
            "Passwords are set by their owners: issue a new activation link in the staff console "
            "or with `manage.py create_user` (R8)."
        )
