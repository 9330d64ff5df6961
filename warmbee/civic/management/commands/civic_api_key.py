"""Issue an Open311 API key for an integration: ``manage.py civic_api_key --name 12345热线
--region 230602 --officer 13900000000``. The officer must hold MANAGE_CIVIC over the region; the
key is printed once and stored only as a hash (ADR 0013)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from warmbee.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue an Open311 API key (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--region", required=True, help="region code, e.g. 230602")
        parser.add_argument("--officer", required=True, help="the issuing officer's mobile")

    def handle(self, *args, name, region, officer, **options):
        from warmbee.accounts.models import User
        from warmbee.civic.services import api_client_create
        from warmbee.regions.models import Region

        phone = officer if officer.startswith("+") else f"+86{officer}"
        actor = User.objects.unscoped(reason="issuing officer").filter(phone=phone).first()
        place = Region.objects.filter(code=region).first()
        if actor is None or place is None:
            raise CommandError("unknown officer or region")
        try:
            client, key = api_client_create(actor=actor, name=name, region=place)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"API key for {client.name} (shown once): {key}")
