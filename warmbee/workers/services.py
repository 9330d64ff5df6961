"""Worker writes. Each is one transaction with its audit row (STYLE.md).

Registration asks only for name, mobile, company and outlet (R26); the resident ID number is set
only by flows that need it (``worker_set_id_number``), stored encrypted with a blind index
(R24). Audit rows never hold the ID number or the full mobile: changes to personal fields are
recorded masked.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize
from warmbee.accounts.services import clean_name, clean_phone
from warmbee.audit.services import diff, record
from warmbee.core.crypto import blind_index
from warmbee.core.errors import Conflict, DomainError
from warmbee.core.pi import mask_id_number, mask_name, mask_phone
from warmbee.core.validators import clean_model
from warmbee.orgs.models import EMPLOYER_KINDS, Organisation, OrgKind, Outlet
from warmbee.regions.models import Level, Region

from .models import (
    PARTY_STAGE_ORDER,
    Employment,
    PartyRecord,
    PartyStage,
    PartyStageChange,
    Source,
    Worker,
    WorkerKind,
    WorkerStatus,
)
from .search import pinyin_keys

WORKER_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY})
ID_PURPOSE = "workers.id_number"
# Fields staff may change with ``worker_update``; the rest have their own services.
EDITABLE = ("name", "phone", "kind", "employee_no", "started_on", "region", "status")
MASKED = {"name": mask_name, "phone": mask_phone}


# --- validation --------------------------------------------------------------------------------
def clean_id_number(value: str) -> str:
    """A GB 11643 resident ID number (18 characters, checksum), or a ``DomainError``."""
    raw = (value or "").strip().replace(" ", "").upper()
    if not raw:
        raise DomainError(_("Enter the resident ID number."), code="required", field="id_number")
    if len(raw) == 15:
        raise DomainError(
            _("Use the 18-digit resident ID number; the old 15-digit numbers are not accepted."),
            code="id_number_old",
            field="id_number",
        )
    try:
        return ric.validate(raw)
    except StdnumError:
        raise DomainError(
            _("This is not a valid resident ID number (check the digits and the last character)."),
            code="invalid_id_number",
            field="id_number",
        ) from None


def id_number_index(value: str) -> str:
    return blind_index(value, purpose=ID_PURPOSE)


def _check_region(region: Region) -> None:
    if region.level not in WORKER_LEVELS or region.retired:
        raise DomainError(
            _("Choose a district, county or street for the worker."),
            code="region_level",
            field="region",
        )


def _check_employer(company: Organisation, outlet: Outlet | None) -> None:
    if company.kind not in EMPLOYER_KINDS or not company.is_active:
        raise DomainError(
            _("Choose a courier company or platform."), code="not_an_employer", field="company"
        )
    if outlet is not None and (outlet.company_id != company.pk or not outlet.is_active):
        raise DomainError(
            _("This outlet does not belong to the company chosen."),
            code="outlet_company",
            field="outlet",
        )


def _snapshot(worker: Worker) -> dict:
    values = {name: getattr(worker, name) for name in EDITABLE if name != "region"}
    values["region"] = worker.region_id
    values["company"] = worker.company_id
    values["outlet"] = worker.outlet_id
    return values


def _masked(changes: dict) -> dict:
    """Audit diffs carry personal fields masked (R19)."""
    return {
        name: [None if v is None else MASKED[name](v) for v in values] if name in MASKED else values
        for name, values in changes.items()
    }


def _save_unique(worker: Worker, **kwargs) -> None:
    """Save, turning the natural-key constraints into messages that name the field."""
    try:
        with transaction.atomic():
            worker.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        if "employee_no" in text:
            raise Conflict(
                _("Another worker of this company has this employee number."),
                code="duplicate_employee_no",
                field="employee_no",
            ) from None
        raise Conflict(
            _("This company already has a worker with this mobile number."),
            code="duplicate_phone",
            field="phone",
        ) from None


# --- create, update, move ------------------------------------------------------------------------
def worker_build(
    *,
    name: str,
    phone: str,
    company: Organisation,
    outlet: Outlet | None,
    region: Region | None = None,
    kind: str = WorkerKind.COURIER,
    employee_no: str = "",
    started_on: dt.date | None = None,
    source: str = Source.STAFF,
    user=None,
    trusted_relations: bool = False,
) -> Worker:
    """A validated, unsaved worker (shared by the services and the roster import).

    ``trusted_relations``: the company, outlet and region are objects just loaded from the
    database (the import), so ``full_clean`` skips re-querying them.
    """
    region = region or (outlet.region if outlet is not None else None)
    if region is None:
        raise DomainError(_("Choose the outlet or the region."), code="required", field="region")
    _check_region(region)
    _check_employer(company, outlet)
    worker = Worker(
        user=user,
        name=clean_name(name),
        phone=clean_phone(phone),
        kind=kind,
        company=company,
        outlet=outlet,
        region=region,
        employee_no=(employee_no or "").strip(),
        started_on=started_on,
        source=source,
    )
    worker.name_pinyin = pinyin_keys(worker.name)
    relations = ["company", "outlet", "region"] if trusted_relations else []
    clean_model(worker, exclude=["id_number", "user", *relations])
    return worker


def worker_create(*, actor, source: str = Source.STAFF, **fields) -> Worker:
    """Staff enter a worker; the worker's region must lie in the actor's scope (R3)."""
    worker = worker_build(source=source, **fields)
    authorize(actor, Perm.MANAGE_WORKER, region=worker.region)
    with transaction.atomic():
        _save_unique(worker, force_insert=True)
        Employment.objects.create(
            worker=worker,
            company=worker.company,
            outlet=worker.outlet,
            started_on=worker.started_on or timezone.localdate(),
        )
        record(
            actor=actor,
            action="worker.create",
            target=worker,
            region=worker.region,
            changes=_masked({k: [None, v] for k, v in _snapshot(worker).items()}),
        )
    return worker


def _locked(worker: Worker) -> Worker:
    return (
        Worker.objects.unscoped(reason="row lock after authorisation")
        .select_for_update(of=("self",))
        .select_related("region", "company", "outlet")
        .get(pk=worker.pk)
    )


def worker_update(*, actor, worker: Worker, **changes) -> Worker:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(_("These fields cannot be changed here."), field=sorted(unknown)[0])
    if "region" in changes and changes["region"].pk != worker.region_id:
        authorize(actor, Perm.MANAGE_WORKER, region=changes["region"])
        _check_region(changes["region"])
    if "name" in changes:
        changes["name"] = clean_name(changes["name"])
    if "phone" in changes:
        changes["phone"] = clean_phone(changes["phone"])
    with transaction.atomic():
        worker = _locked(worker)
        before = _snapshot(worker)
        for name, value in changes.items():
            setattr(worker, name, value.strip() if isinstance(value, str) else value)
        worker.name_pinyin = pinyin_keys(worker.name)
        clean_model(worker, exclude=["id_number", "user"])
        changed = diff(before, _snapshot(worker))
        if not changed:
            return worker
        _save_unique(worker, update_fields=[*changed, "name_pinyin", "updated_at"])
        record(
            actor=actor,
            action="worker.update",
            target=worker,
            region=worker.region,
            changes=_masked(changed),
        )
    return worker


def worker_move(
    *,
    actor,
    worker: Worker,
    company: Organisation,
    outlet: Outlet | None,
    on: dt.date | None = None,
) -> Worker:
    """The worker moves to another outlet (or company): the old spell ends, a new one starts,
    and the worker's region follows the new outlet. Both regions must be in scope (R3)."""
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _check_employer(company, outlet)
    region = outlet.region if outlet is not None else worker.region
    authorize(actor, Perm.MANAGE_WORKER, region=region)
    on = on or timezone.localdate()
    with transaction.atomic():
        worker = _locked(worker)
        if worker.company_id == company.pk and worker.outlet_id == getattr(outlet, "pk", None):
            return worker
        current = (
            Employment.objects.unscoped(reason="the worker's own history")
            .filter(worker=worker, ended_on=None)
            .first()
        )
        if current is not None:
            if on < current.started_on:
                raise DomainError(
                    _("The move cannot be dated before the current outlet's start."),
                    code="move_date",
                    field="on",
                )
            current.ended_on = on
            current.save(update_fields=["ended_on"])
        Employment.objects.create(worker=worker, company=company, outlet=outlet, started_on=on)
        before = _snapshot(worker)
        worker.company, worker.outlet, worker.region = company, outlet, region
        _save_unique(worker, update_fields=["company", "outlet", "region", "updated_at"])
        record(
            actor=actor,
            action="worker.move",
            target=worker,
            region=region,
            changes=diff(before, _snapshot(worker)),
        )
    return worker


def worker_set_id_number(*, actor, worker: Worker, id_number: str, reason: str) -> Worker:
    """Record the ID number for a flow that needs it (aid, insurance, certificates: R26)."""
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    if not (reason or "").strip():
        raise DomainError(
            _("Say which flow needs the ID number."), code="reason_required", field="reason"
        )
    value = clean_id_number(id_number)
    with transaction.atomic():
        worker = _locked(worker)
        before = worker.masked_id_number
        worker.id_number = value
        worker.id_number_index = id_number_index(value)
        worker.save(update_fields=["id_number", "id_number_index", "updated_at"])
        record(
            actor=actor,
            action="worker.set_id_number",
            target=worker,
            region=worker.region,
            changes={"id_number": [before, mask_id_number(value)]},
            reason=reason.strip(),
        )
    return worker


def worker_mark_left(*, actor, worker: Worker, on: dt.date | None = None) -> Worker:
    """The worker has left the trade: the current spell ends; the record stays (counts, ledgers)."""
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    on = on or timezone.localdate()
    with transaction.atomic():
        worker = _locked(worker)
        if worker.status == WorkerStatus.LEFT:
            return worker
        Employment.objects.unscoped(reason="the worker's own history").filter(
            worker=worker, ended_on=None
        ).update(ended_on=on)
        worker.status = WorkerStatus.LEFT
        worker.save(update_fields=["status", "updated_at"])
        record(
            actor=actor,
            action="worker.left",
            target=worker,
            region=worker.region,
            changes={"status": [WorkerStatus.ACTIVE, WorkerStatus.LEFT]},
        )
    return worker


# --- reveal (R23) ----------------------------------------------------------------------------------
REVEALABLE = {"phone": _("mobile number"), "id_number": _("resident ID number")}


def worker_reveal(*, actor, worker: Worker, field: str, reason: str) -> str:
    """The full value of a masked field, for a holder of ``REVEAL_PI`` with a typed reason.

    The caller has checked step-up authentication (``accounts.services.require_recent_auth``).
    Rate-limited per actor; audited with the reason, never with the value.
    """
    from django.conf import settings

    from warmbee.core import ratelimit

    authorize(actor, Perm.REVEAL_PI, obj=worker)
    if field not in REVEALABLE:
        raise DomainError(_("This field cannot be revealed."), code="invalid", field="field")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(
            _("Say why you need to see the full value."), code="reason_required", field="reason"
        )
    value = getattr(worker, field)
    if not value:
        raise DomainError(_("Nothing is recorded here."), code="empty", field="field")
    ratelimit.hit("worker_reveal", str(actor.pk), limit=settings.REVEAL_LIMIT_PER_HOUR, window=3600)
    record(
        actor=actor,
        action="worker.reveal",
        target=worker,
        region=worker.region,
        changes={"field": [None, field]},
        reason=reason[:500],
    )
    return value


# --- party ledgers (party-organisation officers only) --------------------------------------------
def party_record_start(*, actor, worker: Worker, party_org, on: dt.date) -> PartyRecord:
    """A worker's application to join: the first stage of the applicants' ledger."""
    authorize(actor, Perm.MANAGE_PARTY, obj=worker)
    if party_org.kind != OrgKind.PARTY:
        raise DomainError(
            _("Choose a party organisation."), code="not_a_party_org", field="party_org"
        )
    authorize(actor, Perm.MANAGE_PARTY, obj=party_org)
    with transaction.atomic():
        if (
            PartyRecord.objects.unscoped(reason="one record per worker")
            .filter(worker=worker)
            .exists()
        ):
            raise Conflict(_("This worker already has a party record."), code="exists")
        rec = PartyRecord.objects.create(
            worker=worker, party_org=party_org, stage=PartyStage.APPLICANT, stage_since=on
        )
        PartyStageChange.objects.create(record=rec, stage=PartyStage.APPLICANT, on=on, by=actor)
        record(
            actor=actor,
            action="party.start",
            target=rec,
            region=worker.region,
            changes={"stage": [None, PartyStage.APPLICANT]},
        )
    return rec


def party_record_advance(*, actor, rec: PartyRecord, on: dt.date) -> PartyRecord:
    """The next stage, one step at a time, never dated before the last."""
    authorize(actor, Perm.MANAGE_PARTY, obj=rec)
    with transaction.atomic():
        rec = (
            PartyRecord.objects.unscoped(reason="row lock after authorisation")
            .select_for_update()
            .get(pk=rec.pk)
        )
        index = PARTY_STAGE_ORDER.index(rec.stage)
        if index + 1 >= len(PARTY_STAGE_ORDER):
            raise Conflict(_("This person is already a full member."), code="last_stage")
        if on < rec.stage_since:
            raise DomainError(
                _("The date cannot be before the current stage began."),
                code="stage_date",
                field="on",
            )
        before, rec.stage, rec.stage_since = rec.stage, PARTY_STAGE_ORDER[index + 1], on
        rec.save(update_fields=["stage", "stage_since"])
        PartyStageChange.objects.create(record=rec, stage=rec.stage, on=on, by=actor)
        record(
            actor=actor,
            action="party.advance",
            target=rec,
            region=rec.worker.region,
            changes={"stage": [before, rec.stage]},
        )
    return rec
