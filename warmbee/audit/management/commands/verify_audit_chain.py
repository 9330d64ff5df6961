from django.core.management.base import BaseCommand, CommandError

from warmbee.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's keyed hash chain; exit non-zero naming the first bad row."

    def handle(self, *args, **options):
        count, problem = verify_chain()
        if problem is not None:
            raise CommandError(
                f"audit chain broken at event #{problem.event_id}: {problem.problem} "
                f"({count} events verified before it)"
            )
        self.stdout.write(f"audit chain intact: {count} events verified")
