from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from warmbee.core import demo


class Command(BaseCommand):
    help = "Create the demo programme for a city (default 大庆市 230600). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--city", default=settings.HOME_REGION)

    def handle(self, *args, city, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo data is for the embedded tier only, not the production profile"
            )
        translation.activate(settings.LANGUAGE_CODE)
        ctx = demo.run(city)
        path = settings.DEMO_CREDENTIALS_FILE
        if ctx.credentials:
            demo.write_credentials(path, ctx)
            self.stdout.write(
                f"demo data created; {len(ctx.credentials)} accounts written to {path}"
            )
        else:
            self.stdout.write(f"demo data already present; credentials are in {path}")
