"""Notices, consents, data-subject requests and approved exports (R25, R27, R29). One
transaction each, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.audit.services import record
from warmbee.core import crypto
from warmbee.core.errors import Conflict, DomainError, Forbidden, Gone, NotFound
from warmbee.core.pi import mask_id_number, mask_name, mask_phone
from warmbee.regions.models import Region

from .models import (
    Channel,
    Consent,
    DataRequest,
    ExportKind,
    ExportRequest,
    ExportStatus,
    Notice,
    Purpose,
    RequestKind,
    RequestStatus,
)


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


# --- approved full personal-data exports (R29) ----------------------------------------------------
log = logging.getLogger(__name__)
EXPORT_DIR = "exports"
_EXPORT_NAME = re.compile(r"exports/[0-9a-f]{32}\.xlsx")
_PI_LIKE = re.compile(r"\d{7,}[\dXx]*")


def _export_region(actor) -> Region:
    """The region an actor's exports are scoped to: their EXPORT_PI grant (the one covering
    their own region when they hold several)."""
    paths = authorize(actor, Perm.EXPORT_PI)
    home = getattr(actor.region, "path", "") if actor.region_id else ""
    path = next((p for p in paths if home.startswith(p)), paths[0])
    return Region.objects.get(path=path)


def safe_filters(filters: str) -> dict[str, str]:
    """The filters for audit rows and pages: a search that looks like a mobile or ID number
    is masked, so neither ever lands in the audit trail (R22)."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(filters or ""):
        if key == "page" or not value:
            continue
        out[key] = _PI_LIKE.sub(_mask_number, value)[:60]
    return out


def _mask_number(match: re.Match) -> str:
    value = match.group()
    if len(value) == 11:
        return mask_phone(value)
    if len(value) >= 15:
        return mask_id_number(value)
    return "*" * len(value)


def clean_filters(filters: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(filters or "") if k != "page" and v])[:2000]


def export_request(*, actor, kind: str, filters: str, reason: str) -> ExportRequest:
    """Ask for a full export of the rows ``filters`` selects; nothing is written to a file
    until another holder of APPROVE_EXPORT approves it."""
    region = _export_region(actor)
    authorize(actor, Perm.EXPORT_PI, region=region)
    if kind not in ExportKind.values:
        raise DomainError(_("Choose what to export."), field="kind")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(
            _("Say why you need the full data."), code="reason_required", field="reason"
        )
    filters = clean_filters(filters)
    with transaction.atomic():
        request = ExportRequest(
            requested_by=actor, region=region, kind=kind, filters=filters, reason=reason[:500]
        )
        request.full_clean()
        request.save()
        record(
            actor=actor,
            action="privacy.export_request",
            target=request,
            region=region,
            changes={
                "kind": [None, kind],
                "status": [None, ExportStatus.PENDING],
                "filters": [None, safe_filters(filters)],
            },
            reason=reason[:500],
        )
    return request


def _locked(request: ExportRequest) -> ExportRequest:
    return (
        ExportRequest.objects.unscoped(reason="row lock after authorisation")
        .select_for_update(of=("self",))
        .select_related("requested_by", "region")
        .get(pk=request.pk)
    )


def _authorize_decision(actor, request: ExportRequest) -> None:
    authorize(actor, Perm.APPROVE_EXPORT, obj=request)
    if request.requested_by_id == actor.pk:
        raise Forbidden(
            _("Someone else must decide on your own export request."), code="same_person"
        )


def _export_path(name: str) -> Path:
    if not _EXPORT_NAME.fullmatch(name):
        raise ValueError(f"not an export file name: {name!r}")
    return Path(settings.MEDIA_ROOT) / name


def _export_store(content: bytes) -> str:
    """Write the file under MEDIA_ROOT with a random name, readable by the owner only and
    sealed with the field-encryption key, as an import's upload is: it holds ID numbers (R24)."""
    name = f"{EXPORT_DIR}/{secrets.token_hex(16)}.xlsx"
    path = _export_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(crypto.seal(content, context=f"export:{name}"))
    return name


def export_read(name: str) -> bytes:
    """The workbook of a stored export (``OSError``/``ValueError``/``DecryptionError`` when it
    is gone or not ours)."""
    return crypto.unseal(_export_path(name).read_bytes(), context=f"export:{name}")


def _export_delete(name: str) -> None:
    if name:
        _export_path(name).unlink(missing_ok=True)


def _roster_file(request: ExportRequest, approver) -> tuple[bytes, int]:
    """The full roster: the requester's filters, read in the REQUESTER's scope and never
    beyond the request's region, capped, watermarked, formula-neutralised by the exporter."""
    from warmbee.core import tabular
    from warmbee.workers import imports
    from warmbee.workers.selectors import worker_list_from_query

    requester = request.requested_by
    workers = worker_list_from_query(actor=requester, query=request.filters).filter(
        region__path__startswith=request.region.path
    )[: imports.MAX_EXPORT_ROWS]
    rows = [imports.export_row(w, full=True) for w in workers]
    now = timezone.localtime()
    watermark = _("%(requester)s, approved by %(approver)s, %(time)s") % {
        "requester": mask_name(requester.name),
        "approver": mask_name(approver.name),
        "time": f"{now:%Y-%m-%d %H:%M}",
    }
    return tabular.export_xlsx(imports.EXPORT_LAYOUT, rows, watermark=watermark), len(rows)


_EXPORTERS = {ExportKind.WORKERS_ROSTER: _roster_file}


def _check_pending(request: ExportRequest) -> None:
    if request.status != ExportStatus.PENDING:
        raise Conflict(_("This request has already been decided."), code="decided")
    if not has_perm(request.requested_by, Perm.EXPORT_PI, request.region):
        raise Conflict(
            _("The person who asked may no longer export personal data."),
            code="requester_not_allowed",
        )


def export_approve(*, actor, request: ExportRequest, note: str = "") -> ExportRequest:
    """A second person approves: the file is made now, for the requester only, and expires
    after ``EXPORT_TTL_HOURS``.

    The file is built before the transaction (on SQLite every ``atomic`` block holds the one
    write lock, ADR 0007), then the row is locked and checked again; a request decided in the
    meantime loses the race and its file is deleted.
    """
    _authorize_decision(actor, request)
    note = (note or "").strip()[:500]
    _check_pending(request)
    content, rows = _EXPORTERS[request.kind](request, actor)
    name = _export_store(content)
    try:
        with transaction.atomic():
            request = _locked(request)
            _check_pending(request)
            now = timezone.now()
            request.status = ExportStatus.APPROVED
            request.decided_by, request.decided_at, request.decision_note = actor, now, note
            request.file, request.row_count = name, rows
            request.expires_at = now + dt.timedelta(hours=settings.EXPORT_TTL_HOURS)
            request.save(
                update_fields=[
                    "status",
                    "decided_by",
                    "decided_at",
                    "decision_note",
                    "file",
                    "row_count",
                    "expires_at",
                ]
            )
            record(
                actor=actor,
                action="privacy.export_approve",
                target=request,
                region=request.region,
                changes={
                    "status": [ExportStatus.PENDING, ExportStatus.APPROVED],
                    "rows": [0, rows],
                    "expires_at": [None, request.expires_at.isoformat()],
                },
                reason=note,
            )
    except BaseException:
        _export_delete(name)
        raise
    return request


def export_reject(*, actor, request: ExportRequest, note: str = "") -> ExportRequest:
    _authorize_decision(actor, request)
    note = (note or "").strip()[:500]
    with transaction.atomic():
        request = _locked(request)
        if request.status != ExportStatus.PENDING:
            raise Conflict(_("This request has already been decided."), code="decided")
        request.status = ExportStatus.REJECTED
        request.decided_by, request.decided_at, request.decision_note = (
            actor,
            timezone.now(),
            note,
        )
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            actor=actor,
            action="privacy.export_reject",
            target=request,
            region=request.region,
            changes={"status": [ExportStatus.PENDING, ExportStatus.REJECTED]},
            reason=note,
        )
    return request


def _expired() -> Gone:
    return Gone(
        _("This export has expired and its file has been deleted. Ask for a new one."),
        code="expired",
    )


def export_check_download(*, actor, request: ExportRequest) -> None:
    """Raise unless ``actor`` may download ``request`` now: 404 for anyone but the requester,
    403 before approval (or after a rejection), 410 after expiry. Writes nothing."""
    authorize(actor, Perm.EXPORT_PI, obj=request)
    if request.requested_by_id != actor.pk:
        raise NotFound(_("Not found."))
    if request.status in (ExportStatus.PENDING, ExportStatus.REJECTED):
        raise Forbidden(
            _("This export has not been approved by a second person."), code="not_approved"
        )
    if request.status == ExportStatus.EXPIRED or request.expires_at <= timezone.now():
        raise _expired()


def export_download(*, actor, request: ExportRequest) -> tuple[bytes, str]:
    """The approved file, for the requester only, until it expires; counted and audited.

    The caller has checked step-up authentication (``accounts.services.require_recent_auth``).
    Returns the file's bytes and a download name.
    """
    export_check_download(actor=actor, request=request)
    gone = _expired()
    with transaction.atomic():
        request = _locked(request)
        try:
            content = export_read(request.file)
        except (OSError, ValueError, crypto.DecryptionError):
            raise gone from None
        ExportRequest.objects.unscoped(reason="counter after authorisation").filter(
            pk=request.pk
        ).update(download_count=F("download_count") + 1)
        record(
            actor=actor,
            action="privacy.export_download",
            target=request,
            region=request.region,
            changes={"downloads": [request.download_count, request.download_count + 1]},
        )
    created = timezone.localtime(request.decided_at)
    return content, f"workers-full-{request.pk}-{created:%Y%m%d-%H%M}.xlsx"


def exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of approved exports past ``expires_at`` and mark them expired; one
    audit row each. A system job (``manage.py purge_exports``, the ``purge_exports`` task)."""
    now = now or timezone.now()
    due = (
        ExportRequest.objects.unscoped(reason="system job: purge expired export files")
        .filter(status=ExportStatus.APPROVED, expires_at__lte=now)
        .values_list("pk", flat=True)
    )
    purged = 0
    for pk in list(due):
        with transaction.atomic():
            request = (
                ExportRequest.objects.unscoped(reason="system job: purge expired export files")
                .select_for_update()
                .get(pk=pk)
            )
            if request.status != ExportStatus.APPROVED:
                continue
            # The file goes first: if marking fails, the data is still gone (and the download
            # refuses a missing file); the next run marks it.
            _export_delete(request.file)
            request.status, request.file = ExportStatus.EXPIRED, ""
            request.save(update_fields=["status", "file"])
            record(
                actor=None,
                action="privacy.export_purge",
                target=request,
                region=request.region_id,
                changes={"status": [ExportStatus.APPROVED, ExportStatus.EXPIRED]},
            )
            purged += 1
    _purge_orphans(now)
    return purged


def _purge_orphans(now: dt.datetime) -> None:
    """Files no approved request points at (a process killed between writing the file and
    committing), once they are older than the TTL: deleted, and logged, not audited (no row)."""
    folder = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    if not folder.is_dir():
        return
    live = set(
        ExportRequest.objects.unscoped(reason="system job: purge expired export files")
        .filter(status=ExportStatus.APPROVED)
        .values_list("file", flat=True)
    )
    cutoff = (now - dt.timedelta(hours=settings.EXPORT_TTL_HOURS)).timestamp()
    for path in folder.glob("*.xlsx"):
        name = f"{EXPORT_DIR}/{path.name}"
        if name not in live and path.stat().st_mtime <= cutoff:
            path.unlink(missing_ok=True)
            log.warning("deleted an export file no request points at: %s", name)
