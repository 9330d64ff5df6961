"""Notices, consents and data-subject requests (R25, R27). One transaction each, audited."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize
from warmbee.audit.services import record
from warmbee.core.errors import Conflict, DomainError

from .models import Channel, Consent, DataRequest, Notice, Purpose, RequestKind, RequestStatus


def current_notice(purpose: str) -> Notice | None:
    return Notice.objects.filter(purpose=purpose).order_by("-version").first()


def notice_publish(*, actor, purpose: str, title: str, body: str) -> Notice:
    """A new version of the notice for ``purpose``; consents to older versions need renewing."""
    if purpose not in Purpose.values:
        raise DomainError(_("Unknown purpose."), field="purpose")
    if not (title or "").strip() or not (body or "").strip():
        raise DomainError(_("A notice needs a title and a text."), code="required", field="body")
    with transaction.atomic():
        last = current_notice(purpose)
        notice = Notice.objects.create(
            purpose=purpose,
            version=(last.version + 1) if last else 1,
            title=title.strip(),
            body=body.strip(),
            sha256=hashlib.sha256(body.strip().encode()).hexdigest(),
        )
        record(
            actor=actor,
            action="privacy.notice_publish",
            target=notice,
            changes={"purpose": [None, purpose], "version": [None, notice.version]},
        )
    return notice


def live_consent(user, purpose: str) -> Consent | None:
    return (
        Consent.objects.unscoped(reason="the account's own consents")
        .filter(user=user, purpose=purpose, withdrawn_at=None)
        .select_related("notice")
        .first()
    )


def consent_give(*, actor, user, purpose: str, channel: str = Channel.WEB) -> Consent:
    """``user`` consents to the current notice for ``purpose`` (replacing an older consent)."""
    if actor.pk != user.pk:
        raise DomainError(_("Only the person concerned can consent here."), code="forbidden")
    notice = current_notice(purpose)
    if notice is None:
        raise DomainError(_("There is no notice for this purpose yet."), field="purpose")
    now = timezone.now()
    with transaction.atomic():
        old = live_consent(user, purpose)
        if old is not None and old.notice_id == notice.pk:
            return old
        if old is not None:
            old.withdrawn_at = now
            old.save(update_fields=["withdrawn_at"])
        consent = Consent.objects.create(
            user=user,
            purpose=purpose,
            notice=notice,
            notice_sha256=notice.sha256,
            given_at=now,
            channel=channel,
            recorded_by=actor,
        )
        record(
            actor=actor,
            action="privacy.consent",
            target=consent,
            region=user.region,
            changes={"purpose": [None, purpose], "version": [None, notice.version]},
        )
    return consent


def consent_withdraw(*, actor, user, purpose: str) -> None:
    if actor.pk != user.pk:
        raise DomainError(_("Only the person concerned can withdraw here."), code="forbidden")
    if purpose == Purpose.REGISTRY:
        raise DomainError(
            _("To stop all processing, ask for your data to be deleted."),
            code="registry_consent",
            field="purpose",
        )
    with transaction.atomic():
        consent = live_consent(user, purpose)
        if consent is None:
            return
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        record(
            actor=actor,
            action="privacy.withdraw",
            target=consent,
            region=user.region,
            changes={"purpose": [purpose, None]},
        )


def require_consent(user, purpose: str) -> Consent:
    """The one check before processing that needs consent: 409 when missing, withdrawn or given
    to an older version of the notice."""
    consent = live_consent(user, purpose)
    notice = current_notice(purpose)
    if consent is None or notice is None or consent.notice_id != notice.pk:
        raise Conflict(
            _("Consent for this purpose is needed first."), code="consent_required", field="purpose"
        )
    return consent


# --- data-subject requests -------------------------------------------------------------------------
def data_request_create(*, actor, kind: str, details: str) -> DataRequest:
    if kind not in RequestKind.values:
        raise DomainError(_("Choose what you are asking for."), field="kind")
    details = (details or "").strip()
    if kind == RequestKind.CORRECTION and not details:
        raise DomainError(
            _("Say what is wrong and what it should be."), code="required", field="details"
        )
    now = timezone.now()
    with transaction.atomic():
        request = DataRequest.objects.create(
            user=actor,
            region=actor.region,
            kind=kind,
            details=details[:1000],
            created_at=now,
            due_at=now + dt.timedelta(days=settings.DATA_REQUEST_DAYS),
        )
        record(
            actor=actor,
            action="privacy.request",
            target=request,
            region=actor.region,
            changes={"kind": [None, kind]},
        )
    return request


def data_request_handle(*, actor, request: DataRequest, status: str, response: str) -> DataRequest:
    """Staff answer: done (a deletion erases the worker's personal data) or refused (a reason)."""
    authorize(actor, Perm.HANDLE_DATA_REQUEST, obj=request)
    if request.user_id == actor.pk:
        raise DomainError(_("You cannot handle your own request."), code="own_request")
    if status not in (RequestStatus.DONE, RequestStatus.REFUSED):
        raise DomainError(_("Choose done or refused."), field="status")
    response = (response or "").strip()
    if status == RequestStatus.REFUSED and not response:
        raise DomainError(_("A refusal needs a reason."), code="reason_required", field="response")
    with transaction.atomic():
        request = (
            DataRequest.objects.unscoped(reason="row lock after authorisation")
            .select_for_update(of=("self",))
            .select_related("user")
            .get(pk=request.pk)
        )
        if request.status != RequestStatus.OPEN:
            raise Conflict(_("This request has already been answered."), code="answered")
        request.status, request.response = status, response[:1000]
        request.handled_by, request.handled_at = actor, timezone.now()
        request.save(update_fields=["status", "response", "handled_by", "handled_at"])
        record(
            actor=actor,
            action="privacy.request_handle",
            target=request,
            region=request.region,
            changes={"status": [RequestStatus.OPEN, status]},
            reason=response[:500],
        )
        if status == RequestStatus.DONE and request.kind == RequestKind.DELETION:
            erase_person(actor=actor, user=request.user)
    from warmbee.notify.sms import send_sms

    send_sms(request.user.phone, "data_request_done", {"kind": request.get_kind_display()})
    return request


def erase_person(*, actor, user) -> None:
    """Pseudonymise a worker's personal data; rows that counts and ledgers need stay (R27)."""
    from warmbee.accounts.services import end_sessions
    from warmbee.workers.models import Worker, WorkerStatus

    now = timezone.now()
    placeholder = f"+0000{user.pk:010d}"
    worker = (
        Worker.objects.unscoped(reason="erasure at the worker's request").filter(user=user).first()
    )
    if worker is not None:
        worker.name, worker.name_pinyin, worker.phone = "已删除", "", placeholder
        worker.id_number, worker.id_number_index, worker.employee_no = "", "", ""
        worker.status = WorkerStatus.ERASED
        worker.save(
            update_fields=[
                "name",
                "name_pinyin",
                "phone",
                "id_number",
                "id_number_index",
                "employee_no",
                "status",
                "updated_at",
            ]
        )
    Consent.objects.unscoped(reason="erasure").filter(user=user, withdrawn_at=None).update(
        withdrawn_at=now
    )
    user.name, user.phone, user.is_active = "已删除", placeholder, False
    user.disabled_reason = "erased at the person's request"
    user.set_unusable_password()
    user.save(update_fields=["name", "phone", "is_active", "disabled_reason", "password"])
    end_sessions(user)
    record(
        actor=actor, action="privacy.erase", target=("accounts.user", user.pk), region=user.region
    )
