import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from warmbee.accounts import services
from warmbee.accounts.roles import Role
from warmbee.core.errors import DomainError
from warmbee.regions.models import ROOT_CODE, Region


class Command(BaseCommand):
    help = (
        "Create the first system administrator. The password is typed (or read from stdin with "
        "--password-stdin), never a default; MFA enrolment is forced at first login where "
        "WARMBEE_STAFF_MFA=required."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--region", default=ROOT_CODE, help="scope; default: the whole country")
        parser.add_argument("--password-stdin", action="store_true")

    def handle(self, *args, phone, name, region, password_stdin, **options):
        region_obj = Region.objects.filter(code=region).first()
        if region_obj is None:
            raise CommandError(f"unknown region code {region}; run load_regions first")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            user = services.operator_user_create(
                phone=phone,
                name=name,
                role=Role.SYSTEM_ADMIN,
                region=region_obj,
                password=password,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from None
        self.stdout.write(f"system administrator #{user.pk} created")
