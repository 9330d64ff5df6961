"""Workers on their own phones: register with a one-time code, log in with a code.

Registration asks only for name, mobile, company and outlet (R26). It creates the account, a
worker grant on the outlet's district and the worker profile — or, when staff imported the
worker before, links that profile instead of making a second one — and records the consent to
the registry notice. Staff accounts never log in by code (they need a password and MFA).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.models import RoleAssignment, User
from warmbee.accounts.roles import STAFF_ROLES, Role
from warmbee.accounts.services import clean_name, clean_phone
from warmbee.audit.services import record
from warmbee.core.errors import Conflict, DomainError
from warmbee.notify import otp
from warmbee.orgs.models import Organisation, Outlet
from warmbee.privacy.models import Channel, Purpose
from warmbee.privacy.services import consent_give, current_notice
from warmbee.regions.models import Level

from .models import Employment, Source, Worker, WorkerKind
from .services import worker_build


def _district(region):
    node = region
    while node is not None and node.level not in (Level.COUNTY,):
        node = node.parent
    return node or region


def registration_send_code(*, request, phone: str, ip: str) -> str:
    phone = clean_phone(phone)
    otp.code_send(request=request, phone=phone, purpose="register", ip=ip)
    return phone


def worker_register(
    *,
    request,
    name: str,
    phone: str,
    company: Organisation,
    outlet: Outlet,
    code: str,
    agreed: bool,
    kind: str = WorkerKind.COURIER,
) -> User:
    """Check everything, then the code, then write it all in one transaction."""
    phone = clean_phone(phone)
    name = clean_name(name)
    notice = current_notice(Purpose.REGISTRY)
    if notice is None:
        raise DomainError(_("Registration is not open yet."), code="no_notice")
    if not agreed:
        raise DomainError(
            _("Read the notice and tick the box to agree."), code="consent_required", field="agree"
        )
    if (
        User.objects.unscoped(reason="registration: is the number taken")
        .filter(phone=phone)
        .exists()
    ):
        raise Conflict(
            _("This mobile number already has an account: log in with a code instead."),
            code="phone_taken",
            field="phone",
        )
    worker = worker_build(
        name=name, phone=phone, company=company, outlet=outlet, kind=kind, source=Source.SELF
    )
    otp.code_check(request=request, phone=phone, purpose="register", code=code)
    district = _district(outlet.region)
    with transaction.atomic():
        user = User(phone=phone, name=name, region=district)
        user.set_unusable_password()
        user.password_changed_at = None
        user.save()
        RoleAssignment.objects.create(user=user, role=Role.WORKER, region=district)
        existing = (
            Worker.objects.unscoped(reason="registration: link a roster record")
            .filter(company=company, phone=phone, user=None)
            .first()
        )
        if existing is not None:
            existing.user = user
            existing.save(update_fields=["user", "updated_at"])
            worker, linked = existing, True
        else:
            worker.user = user
            worker.save(force_insert=True)
            Employment.objects.create(
                worker=worker, company=company, outlet=outlet, started_on=timezone.localdate()
            )
            linked = False
        record(
            actor=user,
            action="worker.register",
            target=worker,
            region=worker.region,
            changes={"linked_to_roster": [None, linked], "outlet": [None, outlet.pk]},
        )
        consent_give(actor=user, user=user, purpose=Purpose.REGISTRY, channel=Channel.WEB)
    return user


def code_login_send(*, request, phone: str, ip: str) -> str:
    phone = clean_phone(phone)
    otp.code_send(request=request, phone=phone, purpose="login", ip=ip)
    return phone


def code_login(*, request, phone: str, code: str) -> User:
    """The worker account for ``phone`` after a correct code. The same error for an unknown
    number, a staff account and a wrong code."""
    phone = clean_phone(phone)
    otp.code_check(request=request, phone=phone, purpose="login", code=code)
    user = (
        User.objects.unscoped(reason="authentication by code")
        .filter(phone=phone, is_active=True)
        .first()
    )
    if user is None or not user.roles or user.roles & STAFF_ROLES:
        raise DomainError(
            _("The code is wrong or has expired. Ask for a new one."), code="bad_code", field="code"
        )
    return user
