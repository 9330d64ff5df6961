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
from warmbee.accounts.scoping import authorize, grant_paths, has_perm
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
    Certificate,
    Employment,
    Honour,
    Insurance,
    MembershipStatus,
    PartyRecord,
    PartyStage,
    PartyStageChange,
    Source,
    UnionMembership,
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


# --- records: union membership, insurance, certificates, honours ------------------------------
def _require(value, field: str, message) -> None:
    if value in (None, ""):
        raise DomainError(message, code="required", field=field)


def _not_future(on: dt.date, field: str) -> None:
    if on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), code="future_date", field=field)


def _check_org(org: Organisation | None, kind: str, field: str, actor, perm: str) -> None:
    """The organisation is of the right kind, active, and its region in the actor's scope."""
    if org is None:
        raise DomainError(_("Choose the organisation."), code="required", field=field)
    if org.kind != kind or not org.is_active:
        codes = {
            OrgKind.UNION: (_("Choose a union branch."), "not_a_union"),
            OrgKind.PARTY: (_("Choose a party organisation."), "not_a_party_org"),
        }
        message, code = codes[kind]
        raise DomainError(message, code=code, field=field)
    if not has_perm(actor, perm, org.region) and not _org_covers(org, actor, perm):
        raise DomainError(
            _("This organisation is outside the area you manage."),
            code="org_out_of_scope",
            field=field,
        )


def _org_covers(org: Organisation, actor, perm: str) -> bool:
    """A city or county body (a county union, a city party committee) above the actor's grant
    still serves the actor's area: accept an organisation whose region contains a grant."""
    return any(path.startswith(org.region.path) for path in grant_paths(actor, perm))


def _current_membership(worker: Worker) -> UnionMembership | None:
    return (
        UnionMembership.objects.unscoped(reason="the worker's own records")
        .select_for_update()
        .filter(worker=worker, status=MembershipStatus.MEMBER)
        .first()
    )


def union_join(
    *, actor, worker: Worker, branch: Organisation, joined_on: dt.date, card_no: str = ""
) -> UnionMembership:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _check_org(branch, OrgKind.UNION, "branch", actor, Perm.MANAGE_WORKER)
    _require(joined_on, "joined_on", _("Enter the date of joining."))
    _not_future(joined_on, "joined_on")
    with transaction.atomic():
        worker = _locked(worker)
        if _current_membership(worker) is not None:
            raise Conflict(
                _("The worker is already a union member; record a transfer instead."),
                code="already_member",
                field="branch",
            )
        membership = UnionMembership(
            worker=worker, branch=branch, joined_on=joined_on, card_no=(card_no or "").strip()
        )
        clean_model(membership)
        membership.save()
        record(
            actor=actor,
            action="worker.union_join",
            target=worker,
            region=worker.region,
            changes={"branch": [None, branch.pk], "joined_on": [None, str(joined_on)]},
        )
    return membership


def _end_membership(actor, worker: Worker, on: dt.date, status: str, action: str, extra=None):
    _require(on, "on", _("Enter the date."))
    _not_future(on, "on")
    current = _current_membership(worker)
    if current is None:
        raise DomainError(
            _("The worker is not a union member."), code="not_a_member", field="branch"
        )
    if on < current.joined_on:
        raise DomainError(
            _("The date cannot be before the date of joining."), code="date_order", field="on"
        )
    current.status, current.ended_on = status, on
    current.save(update_fields=["status", "ended_on"])
    record(
        actor=actor,
        action=action,
        target=worker,
        region=worker.region,
        changes={"branch": [current.branch_id, None], "ended_on": [None, str(on)], **(extra or {})},
    )
    return current


def union_leave(*, actor, worker: Worker, on: dt.date) -> UnionMembership:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    with transaction.atomic():
        worker = _locked(worker)
        return _end_membership(actor, worker, on, MembershipStatus.LEFT, "worker.union_leave")


def union_transfer(
    *, actor, worker: Worker, branch: Organisation, on: dt.date, card_no: str = ""
) -> UnionMembership:
    """Membership moves to another branch (the worker changed company or outlet)."""
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _check_org(branch, OrgKind.UNION, "branch", actor, Perm.MANAGE_WORKER)
    with transaction.atomic():
        worker = _locked(worker)
        current = _current_membership(worker)
        if current is not None and current.branch_id == branch.pk:
            raise DomainError(
                _("The worker is already a member of this branch."),
                code="same_branch",
                field="branch",
            )
        _end_membership(
            actor,
            worker,
            on,
            MembershipStatus.TRANSFERRED,
            "worker.union_transfer",
            extra={"to_branch": [None, branch.pk]},
        )
        membership = UnionMembership(
            worker=worker, branch=branch, joined_on=on, card_no=(card_no or "").strip()
        )
        clean_model(membership)
        membership.save()
    return membership


def insurance_add(
    *,
    actor,
    worker: Worker,
    kind: str,
    insurer: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    paid_by: str,
    policy_no: str = "",
) -> Insurance:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _require(starts_on, "starts_on", _("Enter the start date."))
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(
            _("The end date cannot be before the start date."),
            code="date_order",
            field="ends_on",
        )
    insurance = Insurance(
        worker=worker,
        kind=kind,
        insurer=(insurer or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        paid_by=paid_by,
        policy_no=(policy_no or "").strip(),
    )
    clean_model(insurance)
    with transaction.atomic():
        insurance.save()
        record(
            actor=actor,
            action="worker.insurance_add",
            target=worker,
            region=worker.region,
            changes={
                "kind": [None, kind],
                "insurer": [None, insurance.insurer],
                "starts_on": [None, str(starts_on)],
                "ends_on": [None, str(ends_on) if ends_on else None],
                "paid_by": [None, paid_by],
            },
        )
    return insurance


def _own_record(model, worker: Worker, pk) -> object:
    from warmbee.core.errors import NotFound

    try:
        return (
            model.objects.unscoped(reason="a record of a worker already authorised")
            .select_for_update()
            .get(pk=pk, worker=worker)
        )
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None


def insurance_end(*, actor, worker: Worker, insurance_id: int, on: dt.date) -> Insurance:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _require(on, "ends_on", _("Enter the end date."))
    with transaction.atomic():
        insurance = _own_record(Insurance, worker, insurance_id)
        if insurance.ends_on is not None and insurance.ends_on <= on:
            raise DomainError(
                _("This enrolment already ends on or before that date."),
                code="already_ended",
                field="ends_on",
            )
        if on < insurance.starts_on:
            raise DomainError(
                _("The end date cannot be before the start date."),
                code="date_order",
                field="ends_on",
            )
        before = insurance.ends_on
        insurance.ends_on = on
        insurance.save(update_fields=["ends_on"])
        record(
            actor=actor,
            action="worker.insurance_end",
            target=worker,
            region=worker.region,
            changes={
                "insurance": [insurance.pk, insurance.pk],
                "ends_on": [str(before) if before else None, str(on)],
            },
        )
    return insurance


CERTIFICATE_FIELDS = ("kind", "name", "level", "issuer", "issued_on", "number", "subsidy_claimed")


def _certificate_values(fields: dict) -> dict:
    values = {k: fields[k] for k in CERTIFICATE_FIELDS if k in fields}
    for key in ("name", "level", "issuer", "number"):
        if key in values:
            values[key] = (values[key] or "").strip()
    if "subsidy_yuan" in fields:
        values["subsidy_fen"] = yuan_to_fen(fields["subsidy_yuan"])
    claimed = values.get("subsidy_claimed")
    if claimed is False:
        values["subsidy_fen"] = 0
    return values


def yuan_to_fen(value) -> int:
    """An amount in yuan (``"1500"``, ``"1,500.50"``, ``Decimal``) as integer fen."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if value in (None, ""):
        return 0
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise DomainError(
            _("Enter the amount in yuan, for example 1500 or 1500.50."),
            code="invalid_amount",
            field="subsidy_yuan",
        ) from None
    if amount < 0 or amount > Decimal("1000000") or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(
            _("Enter an amount between 0 and 1,000,000 yuan, to the fen."),
            code="invalid_amount",
            field="subsidy_yuan",
        )
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _check_certificate(cert: Certificate) -> None:
    _require(cert.issued_on, "issued_on", _("Enter the date of issue."))
    _not_future(cert.issued_on, "issued_on")
    if cert.subsidy_fen and not cert.subsidy_claimed:
        raise DomainError(
            _("Tick “subsidy claimed” to record a subsidy amount."),
            code="subsidy_not_claimed",
            field="subsidy_claimed",
        )
    clean_model(cert)


def certificate_add(*, actor, worker: Worker, **fields) -> Certificate:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    cert = Certificate(worker=worker, **_certificate_values(fields))
    _check_certificate(cert)
    with transaction.atomic():
        cert.save()
        record(
            actor=actor,
            action="worker.certificate_add",
            target=worker,
            region=worker.region,
            changes={
                k: [None, str(getattr(cert, k))] for k in (*CERTIFICATE_FIELDS, "subsidy_fen")
            },
        )
    return cert


def certificate_update(*, actor, worker: Worker, certificate_id: int, **fields) -> Certificate:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    values = _certificate_values(fields)
    with transaction.atomic():
        cert = _own_record(Certificate, worker, certificate_id)
        keys = [*CERTIFICATE_FIELDS, "subsidy_fen"]
        before = {k: str(getattr(cert, k)) for k in keys}
        for key, value in values.items():
            setattr(cert, key, value)
        _check_certificate(cert)
        changed = diff(before, {k: str(getattr(cert, k)) for k in keys})
        if not changed:
            return cert
        cert.save()
        record(
            actor=actor,
            action="worker.certificate_update",
            target=worker,
            region=worker.region,
            changes={"certificate": [cert.pk, cert.pk], **changed},
        )
    return cert


def honour_add(
    *, actor, worker: Worker, title: str, level: str, awarded_by: str, awarded_on: dt.date
) -> Honour:
    authorize(actor, Perm.MANAGE_WORKER, obj=worker)
    _require(awarded_on, "awarded_on", _("Enter the date of the award."))
    _not_future(awarded_on, "awarded_on")
    honour = Honour(
        worker=worker,
        title=(title or "").strip(),
        level=level,
        awarded_by=(awarded_by or "").strip(),
        awarded_on=awarded_on,
    )
    clean_model(honour)
    with transaction.atomic():
        honour.save()
        record(
            actor=actor,
            action="worker.honour_add",
            target=worker,
            region=worker.region,
            changes={
                "title": [None, honour.title],
                "level": [None, level],
                "awarded_on": [None, str(awarded_on)],
            },
        )
    return honour


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
