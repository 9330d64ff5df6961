from django.core.management.base import BaseCommand, CommandError

from warmbee.accounts import services
from warmbee.accounts.roles import SEPARATED_ROLES, Role
from warmbee.core.errors import DomainError
from warmbee.regions.models import Region


class Command(BaseCommand):
    help = (
        "Create an account with a role on a region. No password is set: the command prints a "
        "one-time link for the person to set their own (R8)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", required=True, help="GB/T 2260 code, e.g. 230602")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, phone, name, role, region, base_url, **options):
        region_obj = Region.objects.filter(code=region, retired=False).first()
        if region_obj is None:
            raise CommandError(f"unknown region code {region}; run load_regions first?")
        try:
            user = services.operator_user_create(
                phone=phone, name=name, role=role, region=region_obj
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from None
        if role in SEPARATED_ROLES:
            self.stdout.write("note: this account can hold no other role (separation of duties)")
        link = base_url.rstrip("/") + services.activation_path(user)
        self.stdout.write(f"created user #{user.pk}; one-time link to set the password:\n{link}")
