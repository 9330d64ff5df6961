from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from warmbee.core.durability import findings


class Command(BaseCommand):
    help = "Check the database's durability settings (R42); non-zero exit if any is unsafe."

    def handle(self, *args, **options):
        connection.ensure_connection()
        problems = findings(connection)
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(f"{connection.vendor}: durability settings are safe")
