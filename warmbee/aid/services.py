"""Aid writes: programmes, applications through their review steps, disbursement (ADR 0016).

Every function is one transaction with its audit row. State moves with a compare-and-set
``UPDATE … WHERE status = … AND step = … AND round = …`` (R37, R39): two reviewers clicking at
once, or a retried POST, move the application once and the other gets 409. Money moves the
same way: approval reserves the amount with ``UPDATE … SET reserved_fen = reserved_fen + x WHERE
reserved_fen + x <= budget_fen``; payment moves it to ``disbursed_fen`` and appends one ledger
row with a unique idempotency key. CHECK constraints hold the same invariants underneath.

Maker-checker (R7) on top of permissions: nobody acts on their own application; whoever entered
an application takes no review step on it; nobody takes two steps of one round; whoever approved
does not pay out. Refusals are 403 ``maker_checker`` / ``own_application``, and change nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import ROLE_PERMS, Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.audit.services import record
from warmbee.core import crypto, deadlines, retention
from warmbee.core.errors import Conflict, DomainError, Forbidden, Gone, NotFound
from warmbee.core.pi import mask_id_number, mask_name, mask_phone
from warmbee.core.uploads import image_delete, image_store
from warmbee.core.validators import clean_model
from warmbee.privacy import services as privacy
from warmbee.privacy.models import Channel as ConsentChannel
from warmbee.privacy.models import Purpose
from warmbee.regions.models import Level, Region

from . import eligibility
from .choices import (
    IN_REVIEW,
    Action,
    AppStatus,
    BenefitKind,
    Channel,
    EntryKind,
    ProgrammeStatus,
)
from .models import (
    AidApplication,
    AidEvidence,
    AidProgramme,
    AidStep,
    Disbursement,
    PaymentList,
    PaymentListStatus,
)

# Lowest to highest: a step's level is the lowest grant level that may take it.
LEVEL_ORDER = [Level.COMMUNITY, Level.TOWNSHIP, Level.COUNTY, Level.PREFECTURE, Level.PROVINCE]
DEFAULT_STEPS = [
    {"label": "区县初审", "level": Level.COUNTY},
    {"label": "市级审批", "level": Level.PREFECTURE},
]
QUESTION_TYPES = ("text", "number", "yesno")
MAX_EVIDENCE_FILES = 10
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_IDEMPOTENCY = re.compile(r"[A-Za-z0-9_-]{8,64}")


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


# --- programme configuration --------------------------------------------------------------------
def _bad(message, field: str, code: str = "invalid") -> DomainError:
    return DomainError(message, code=code, field=field)


def clean_questions(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > 20:
        raise _bad(_("Questions must be a list of at most 20."), "questions")
    out, seen = [], set()
    for q in value:
        if not isinstance(q, dict) or not _KEY.fullmatch(str(q.get("key", ""))):
            raise _bad(
                _("Each question needs a key of lower-case letters, digits and _."), "questions"
            )
        if q["key"] in seen:
            raise _bad(_("Question keys must differ."), "questions")
        seen.add(q["key"])
        label = str(q.get("label", "")).strip()
        kind = q.get("type", "text")
        if not label or kind not in QUESTION_TYPES:
            raise _bad(
                _("Each question needs a label and a type (text, number, yesno)."), "questions"
            )
        out.append(
            {
                "key": q["key"],
                "label": label[:200],
                "type": kind,
                "required": bool(q.get("required", True)),
                "child": bool(q.get("child", False)),
            }
        )
    return out


def clean_evidence(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_EVIDENCE_FILES:
        raise _bad(
            _("Evidence must be a list of at most %(n)d items.") % {"n": MAX_EVIDENCE_FILES},
            "evidence",
        )
    out, seen = [], set()
    for e in value:
        if not isinstance(e, dict) or not _KEY.fullmatch(str(e.get("key", ""))):
            raise _bad(_("Each evidence item needs a key and a label."), "evidence")
        if e["key"] in seen:
            raise _bad(_("Evidence keys must differ."), "evidence")
        seen.add(e["key"])
        label = str(e.get("label", "")).strip()
        if not label:
            raise _bad(_("Each evidence item needs a key and a label."), "evidence")
        out.append(
            {"key": e["key"], "label": label[:200], "required": bool(e.get("required", True))}
        )
    return out


def clean_steps(value) -> list[dict]:
    if not isinstance(value, list) or not 2 <= len(value) <= 5:
        raise _bad(
            _("A programme needs two to five review steps: the last one approves."),
            "review_steps",
        )
    out = []
    for s in value:
        label = str(s.get("label", "")).strip() if isinstance(s, dict) else ""
        level = s.get("level") if isinstance(s, dict) else None
        if not label or level not in LEVEL_ORDER:
            raise _bad(
                _(
                    "Each review step needs a label and a level (township, county, prefecture, province)."
                ),
                "review_steps",
            )
        out.append({"label": label[:60], "level": level})
    return out


def _check_benefit(p: AidProgramme) -> None:
    if p.benefit == BenefitKind.FIXED and p.amount_fen <= 0:
        raise _bad(_("A fixed benefit needs an amount."), "amount_fen")
    if p.benefit == BenefitKind.RANGE and not 0 < p.min_fen <= p.max_fen:
        raise _bad(_("Give the smallest and the largest amount, smallest first."), "min_fen")
    if p.benefit == BenefitKind.GOODS and not p.goods.strip():
        raise _bad(_("Say which goods or service are handed over."), "goods")
    if p.benefit != BenefitKind.RANGE:
        p.min_fen = p.max_fen = 0
    largest = p.max_fen if p.benefit == BenefitKind.RANGE else p.amount_fen
    if largest > p.budget_fen:
        raise _bad(_("One benefit cannot be larger than the whole budget."), "budget_fen")
    if p.closes_on < p.opens_on:
        raise _bad(_("The programme must close on or after the day it opens."), "closes_on")


def programme_create(
    *,
    actor,
    name: str,
    kind: str,
    region: Region,
    cycle: str,
    opens_on: dt.date,
    closes_on: dt.date,
    budget_fen: int,
    benefit: str,
    amount_fen: int = 0,
    min_fen: int = 0,
    max_fen: int = 0,
    goods: str = "",
    owner=None,
    description: str = "",
    eligibility_rules=(),
    questions=(),
    evidence=(),
    review_steps=None,
) -> AidProgramme:
    authorize(actor, Perm.MANAGE_PROGRAMME, region=region)
    for field, value in (("budget_fen", budget_fen), ("amount_fen", amount_fen),
                         ("min_fen", min_fen), ("max_fen", max_fen)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(_("Amounts are whole fen, zero or more."), field)
    qs = clean_questions(list(questions))
    programme = AidProgramme(
        name=(name or "").strip(),
        kind=kind,
        region=region,
        cycle=(cycle or "").strip(),
        opens_on=opens_on,
        closes_on=closes_on,
        budget_fen=budget_fen,
        benefit=benefit,
        amount_fen=amount_fen,
        min_fen=min_fen,
        max_fen=max_fen,
        goods=(goods or "").strip(),
        owner=owner,
        description=(description or "").strip(),
        eligibility=eligibility.clean_rules(list(eligibility_rules), questions=qs),
        questions=qs,
        evidence=clean_evidence(list(evidence)),
        review_steps=clean_steps(list(review_steps or DEFAULT_STEPS)),
        created_by=actor,
    )
    clean_model(programme, exclude=["created_by"])
    _check_benefit(programme)
    with transaction.atomic():
        programme.save(force_insert=True)
        record(
            actor=actor,
            action="aid.programme_create",
            target=programme,
            region=region,
            changes={
                "name": [None, programme.name],
                "kind": [None, kind],
                "budget_fen": [None, budget_fen],
                "status": [None, programme.status],
            },
        )
    return programme


_PROGRAMME_MOVES = {
    ProgrammeStatus.OPEN: (ProgrammeStatus.DRAFT,),
    ProgrammeStatus.CLOSED: (ProgrammeStatus.DRAFT, ProgrammeStatus.OPEN),
}


def programme_set_status(*, actor, programme: AidProgramme, status: str) -> AidProgramme:
    authorize(actor, Perm.MANAGE_PROGRAMME, obj=programme)
    if status not in _PROGRAMME_MOVES:
        raise _bad(_("Choose open or closed."), "status")
    with transaction.atomic():
        before = programme.status
        moved = (
            AidProgramme.objects.unscoped(reason="compare-and-set after authorisation")
            .filter(pk=programme.pk, status__in=_PROGRAMME_MOVES[status])
            .update(status=status)
        )
        if not moved:
            raise Conflict(_("The programme cannot move to this state from its current one."),
                           code="wrong_state")  # fmt: skip
        programme.status = status
        record(
            actor=actor,
            action="aid.programme_status",
            target=programme,
            region=programme.region,
            changes={"status": [before, status]},
        )
    return programme


def programme_set_budget(*, actor, programme: AidProgramme, budget_fen: int) -> AidProgramme:
    """A new budget, never below what is already approved (checked in the same UPDATE)."""
    authorize(actor, Perm.MANAGE_PROGRAMME, obj=programme)
    if isinstance(budget_fen, bool) or not isinstance(budget_fen, int) or budget_fen < 0:
        raise _bad(_("Amounts are whole fen, zero or more."), "budget_fen")
    with transaction.atomic():
        before = programme.budget_fen
        moved = (
            AidProgramme.objects.unscoped(reason="conditional update after authorisation")
            .filter(pk=programme.pk, reserved_fen__lte=budget_fen)
            .update(budget_fen=budget_fen)
        )
        if not moved:
            raise Conflict(
                _("The budget cannot be less than what has already been approved."),
                code="budget_below_approved",
                field="budget_fen",
            )
        programme.refresh_from_db(fields=["budget_fen", "reserved_fen", "disbursed_fen"])
        record(
            actor=actor,
            action="aid.programme_budget",
            target=programme,
            region=programme.region,
            changes={"budget_fen": [before, budget_fen]},
        )
    return programme


# --- applications -------------------------------------------------------------------------------
def dedupe_key(programme: AidProgramme, worker) -> str:
    """One application per person per programme cycle: the person is the ID number's blind
    index when the registry has it (the same person on two companies' rosters), else the
    worker record."""
    person = worker.id_number_index or f"worker:{worker.pk}"
    return crypto.blind_index(
        f"{programme.pk}|{programme.cycle}|{person}", purpose="aid.application"
    )


def clean_answers(programme: AidProgramme, answers: dict) -> dict:
    answers = answers or {}
    out = {}
    for q in programme.questions or []:
        raw = answers.get(q["key"], "")
        raw = raw.strip() if isinstance(raw, str) else raw
        if raw in ("", None):
            if q["required"]:
                raise DomainError(
                    _("Answer the question: %(q)s") % {"q": q["label"]},
                    code="required",
                    field=f"q_{q['key']}",
                )
            continue
        if q["type"] == "number":
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise DomainError(
                    _("%(q)s: give a whole number.") % {"q": q["label"]},
                    code="invalid",
                    field=f"q_{q['key']}",
                ) from None
            if not 0 <= value <= 10**9:
                raise DomainError(
                    _("%(q)s: give a whole number.") % {"q": q["label"]},
                    code="invalid",
                    field=f"q_{q['key']}",
                )
        elif q["type"] == "yesno":
            value = raw in (True, "yes", "on", "1", "true")
        else:
            value = str(raw)[:500]
        out[q["key"]] = value
    for rule in programme.eligibility or []:
        if rule["kind"] == "declared" and out.get(rule["question"]) is not True:
            q = next(x for x in programme.questions if x["key"] == rule["question"])
            raise DomainError(
                _("This programme is only for applicants who answer yes to: %(q)s")
                % {"q": q["label"]},
                code="not_eligible",
                field=f"q_{q['key']}",
            )
    return out


def _has_child_data(programme: AidProgramme, answers: dict) -> bool:
    return any(q["child"] and q["key"] in answers for q in programme.questions or [])


def _amount_for(programme: AidProgramme, requested_fen: int | None) -> int:
    if programme.benefit != BenefitKind.RANGE:
        return programme.amount_fen
    if requested_fen is None:
        return programme.min_fen
    if not programme.min_fen <= requested_fen <= programme.max_fen:
        raise DomainError(
            _("The amount must lie between %(min)s and %(max)s yuan.")
            % {"min": yuan(programme.min_fen), "max": yuan(programme.max_fen)},
            code="amount_range",
            field="amount",
        )
    return requested_fen


def _store_files(programme: AidProgramme, files: dict, *, required: bool) -> dict[str, str]:
    """Evidence photos stored before the transaction (a write lock must not wait on decoding,
    ADR 0007); the caller deletes them if the transaction fails."""
    stored: dict[str, str] = {}
    try:
        for item in programme.evidence or []:
            upload = (files or {}).get(item["key"])
            if upload is None:
                if required and item["required"]:
                    raise DomainError(
                        _("Add the evidence: %(e)s") % {"e": item["label"]},
                        code="evidence_required",
                        field=f"e_{item['key']}",
                    )
                continue
            stored[item["key"]] = image_store(
                upload=upload, subdir="aid/evidence", field=f"e_{item['key']}"
            ).name
    except BaseException:
        _delete_files(stored.values())
        raise
    return stored


def _delete_files(names) -> None:
    for name in names:
        image_delete(name)


def _is_own(actor, worker) -> bool:
    return bool(actor and actor.pk and worker.user_id == actor.pk)


def application_submit(
    *,
    actor,
    programme: AidProgramme,
    worker,
    answers: dict | None = None,
    files: dict | None = None,
    consent_financial: bool = False,
    consent_child: bool = False,
    consent_paper: bool = False,
    amount_fen: int | None = None,
) -> AidApplication:
    """Apply: the worker for themself (``channel=web``), or staff holding ENTER_APPLICATION
    over the worker for them (``channel=staff``, with the paper consent form on file)."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    own = _is_own(actor, worker)
    if not own:
        authorize(actor, Perm.ENTER_APPLICATION, obj=worker)
    today = timezone.localdate()
    if programme.status != ProgrammeStatus.OPEN or not (
        programme.opens_on <= today <= programme.closes_on
    ):
        raise Conflict(_("This programme is not open for applications."), code="programme_closed")
    if not worker.region.path.startswith(programme.region.path):
        raise NotFound(_("Not found."))
    failures = eligibility.unmet(worker, programme, on=today)
    if failures:
        raise DomainError(
            _("Not eligible: %(rules)s.") % {"rules": "; ".join(failures)},
            code="not_eligible",
        )
    clean = clean_answers(programme, answers or {})
    amount = _amount_for(programme, amount_fen)
    child = _has_child_data(programme, clean)
    key = dedupe_key(programme, worker)
    if AidApplication.objects.unscoped(reason="duplicate check").filter(dedupe_key=key).exists():
        raise _duplicate()
    if not own and not consent_paper:
        raise Conflict(
            _("The worker's signed consent form (and a guardian's, for a child) is needed."),
            code="consent_required",
            field="consent_paper",
        )
    stored = _store_files(programme, files or {}, required=True)
    try:
        with transaction.atomic():
            consents = {}
            if own:
                for purpose, given, needed in (
                    (Purpose.AID_FINANCIAL, consent_financial, True),
                    (Purpose.CHILD, consent_child, child),
                ):
                    if not needed:
                        continue
                    if given:
                        privacy.consent_give(
                            actor=actor, user=actor, purpose=purpose, channel=ConsentChannel.WEB
                        )
                    consents[purpose] = privacy.require_consent(actor, purpose)
            now = timezone.now()
            application = AidApplication(
                programme=programme,
                worker=worker,
                region=worker.region,
                dedupe_key=key,
                answers=clean,
                amount_fen=amount,
                channel=Channel.WEB if own else Channel.STAFF,
                entered_by=actor,
                applicant=worker.user,
                consent_financial=consents.get(Purpose.AID_FINANCIAL),
                consent_child=consents.get(Purpose.CHILD),
                consent_paper=bool(consent_paper and not own),
                created_at=now,
                updated_at=now,
                **_review_clock(AppStatus.APPLIED, now),
            )
            try:
                with transaction.atomic():
                    application.save(force_insert=True)
            except IntegrityError:
                raise _duplicate() from None
            AidEvidence.objects.bulk_create(
                [
                    AidEvidence(application=application, key=k, image=name, uploaded_by=actor)
                    for k, name in stored.items()
                ]
            )
            _step(application, Action.SUBMIT, actor)
            record(
                actor=actor,
                action="aid.apply",
                target=application,
                region=application.region,
                changes={
                    "programme": [None, programme.pk],
                    "status": [None, AppStatus.APPLIED],
                    "channel": [None, application.channel],
                    "amount_fen": [None, amount],
                    "evidence": [None, sorted(stored)],
                },
            )
            _notify(
                application,
                "aid.applied",
                _("Your application to %(p)s has been received.") % {"p": programme.name},
            )
    except BaseException:
        _delete_files(stored.values())
        raise
    return application


def _duplicate() -> Conflict:
    return Conflict(
        _("There is already an application for this person in this programme cycle."),
        code="duplicate_application",
    )


def _step(application: AidApplication, action: str, actor, note: str = "", step=None) -> AidStep:
    return AidStep.objects.create(
        application=application,
        round=application.round,
        step=application.step if step is None else step,
        action=action,
        actor=actor,
        note=note[:500],
    )


def _notify(application: AidApplication, kind: str, subject, body: str = "") -> None:
    user = application.applicant
    if user is None:
        return
    from warmbee.notify.services import notify_user

    notify_user(
        user=user,
        kind=kind,
        subject=str(subject),
        body=str(body),
        link=reverse("aid:me_application", args=[application.pk]),
        sms=True,
    )


# --- review --------------------------------------------------------------------------------------
def _wrong_state() -> Conflict:
    return Conflict(
        _("This application is not at a stage where this can be done."), code="wrong_state"
    )


def _refuse_own(actor, application: AidApplication) -> None:
    if application.applicant_id == actor.pk or application.worker.user_id == actor.pk:
        raise Forbidden(
            _("Nobody may decide on or pay out their own application."), code="own_application"
        )


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def may_take_step(actor, application: AidApplication) -> bool:
    """Whether ``actor`` holds REVIEW_APPLICATION through a grant at the current step's level
    or above, covering the application's region."""
    steps = application.programme.review_steps or []
    if application.step >= len(steps):
        return False
    need = _level_rank(steps[application.step]["level"])
    path = application.region.path
    return any(
        Perm.REVIEW_APPLICATION in ROLE_PERMS.get(g.role, ())
        and path.startswith(g.region.path)
        and _level_rank(g.region.level) >= need
        for g in actor.active_grants()
    )


def _reviewers_this_round(application: AidApplication) -> set[int]:
    return set(
        AidStep.objects.unscoped(reason="the application's own timeline")
        .filter(
            application=application,
            round=application.round,
            action__in=[Action.REVIEW, Action.APPROVE],
        )
        .values_list("actor_id", flat=True)
    )


def _authorize_review(actor, application: AidApplication) -> None:
    """Scope (404), permission (403), state (409), the step's level (403), maker-checker (403)."""
    authorize(actor, Perm.REVIEW_APPLICATION, obj=application)
    _refuse_own(actor, application)
    if application.status not in IN_REVIEW:
        raise _wrong_state()
    if not may_take_step(actor, application):
        raise Forbidden(
            _("This review step is taken at another level: %(step)s.")
            % {"step": application.step_label},
            code="wrong_step",
        )
    if application.entered_by_id == actor.pk:
        raise Forbidden(
            _("Whoever entered an application cannot review or approve it."),
            code="maker_checker",
        )
    if actor.pk in _reviewers_this_round(application):
        raise Forbidden(_("Each review step needs a different person."), code="maker_checker")


def _review_clock(to: str, now: dt.datetime) -> dict:
    """An application reaching a review step (a new one, or the first of a new round) starts
    that step's clock; one leaving review stops it."""
    if to in IN_REVIEW:
        due = deadlines.due_after(now, hours=24 * settings.AID_REVIEW_DAYS)
        return {"review_due_at": due, "review_escalated_at": None}
    return {"review_due_at": None, "review_escalated_at": None}


def _move(application: AidApplication, *, to: str, **changes) -> None:
    """Compare-and-set: the application moves only from the state it was read in."""
    now = timezone.now()
    changes = {**_review_clock(to, now), **changes}
    moved = (
        AidApplication.objects.unscoped(reason="compare-and-set after authorisation")
        .filter(
            pk=application.pk,
            status=application.status,
            step=application.step,
            round=application.round,
        )
        .update(status=to, updated_at=now, **changes)
    )
    if moved != 1:
        raise _wrong_state()
    for name, value in changes.items():
        setattr(application, name, value)
    application.status = to
    application.updated_at = now


def _audit(actor, application, action, before: dict, reason: str = "") -> None:
    after = {k: getattr(application, k) for k in before}
    record(
        actor=actor,
        action=f"aid.{action}",
        target=application,
        region=application.region,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        reason=reason,
    )


def _snapshot(application, *names) -> dict:
    return {n: getattr(application, n) for n in ("status", "step", "round", *names)}


def application_review(*, actor, application: AidApplication, note: str = "") -> AidApplication:
    """Pass a review step that is not the last; the last step is ``application_approve``."""
    _authorize_review(actor, application)
    if application.is_final_step:
        raise Conflict(_("The last step approves: use approve."), code="wrong_state")
    note = (note or "").strip()[:500]
    with transaction.atomic():
        before = _snapshot(application)
        step = application.step
        _move(application, to=AppStatus.REVIEWED, step=step + 1)
        _step(application, Action.REVIEW, actor, note, step=step)
        _audit(actor, application, "review", before, note)
    return application


def application_approve(
    *, actor, application: AidApplication, amount_fen: int | None = None, note: str = ""
) -> AidApplication:
    """The last step: the amount is reserved from the budget in the same UPDATE that checks
    there is enough left (R36, R37)."""
    _authorize_review(actor, application)
    if application.status != AppStatus.REVIEWED or not application.is_final_step:
        raise _wrong_state()
    programme = application.programme
    amount = _amount_for(
        programme, amount_fen if amount_fen is not None else application.amount_fen
    )
    note = (note or "").strip()[:500]
    with transaction.atomic():
        before = _snapshot(application, "amount_fen")
        reserved = (
            AidProgramme.objects.unscoped(reason="budget reservation after authorisation")
            .filter(pk=programme.pk, reserved_fen__lte=F("budget_fen") - amount)
            .update(reserved_fen=F("reserved_fen") + amount)
        )
        if not reserved:
            raise Conflict(
                _("The programme's budget does not have %(amount)s yuan left.")
                % {"amount": yuan(amount)},
                code="budget_exhausted",
            )
        step = application.step
        _move(application, to=AppStatus.APPROVED, amount_fen=amount, approved_by=actor)
        _step(application, Action.APPROVE, actor, note, step=step)
        _audit(actor, application, "approve", before, note)
        _notify(
            application,
            "aid.approved",
            _("Your application to %(p)s has been approved.") % {"p": programme.name},
        )
    return application


def application_return(*, actor, application: AidApplication, note: str) -> AidApplication:
    """Back to the applicant for more information; they send it again (a new round)."""
    _authorize_review(actor, application)
    note = (note or "").strip()
    if len(note) < 2:
        raise DomainError(
            _("Say what information is missing."), code="reason_required", field="note"
        )
    with transaction.atomic():
        before = _snapshot(application, "note")
        step = application.step
        _move(application, to=AppStatus.RETURNED, note=note[:500])
        _step(application, Action.RETURN, actor, note, step=step)
        _audit(actor, application, "return", before, note)
        _notify(
            application, "aid.returned", _("Your aid application needs more information."), note
        )
    return application


def application_reject(*, actor, application: AidApplication, reason: str) -> AidApplication:
    _authorize_review(actor, application)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Give the reason for rejecting."), code="reason_required", field="note")
    with transaction.atomic():
        _reject(application, actor, reason, action=Action.REJECT)
    return application


def _reject(application: AidApplication, actor, reason: str, *, action: str) -> None:
    """Rejected with the reason (the worker may appeal once): the move, its timeline step, the
    audit row and the worker's notice. A rejection, or a withdrawn approval."""
    before = _snapshot(application, "note")
    step = application.step
    _move(application, to=AppStatus.REJECTED, note=reason[:500])
    _step(application, action, actor, reason, step=step)
    withdrawn = action == Action.WITHDRAW_APPROVAL
    _audit(actor, application, "withdraw_approval" if withdrawn else "reject", before, reason)
    _notify(
        application,
        "aid.approval_withdrawn" if withdrawn else "aid.rejected",
        _("The approval of your aid application was withdrawn. You may appeal once.")
        if withdrawn
        else _("Your aid application was not approved. You may appeal once."),
        reason,
    )


def may_withdraw_approval(actor, application: AidApplication) -> bool:
    """Who may withdraw an approval: an officer who may take the final step over the
    application's region, and neither its applicant nor whoever entered it (R7)."""
    return (
        application.status == AppStatus.APPROVED
        and has_perm(actor, Perm.REVIEW_APPLICATION, application.region)
        and may_take_step(actor, application)
        and not _is_own(actor, application.worker)
        and application.applicant_id != actor.pk
        and application.entered_by_id != actor.pk
    )


def application_withdraw_approval(
    *, actor, application: AidApplication, reason: str
) -> AidApplication:
    """Take back an approval that has not been paid (the worker declined it, or it was given in
    error): the application is rejected with the reason, its amount goes back to the budget in
    the same transaction, and the worker may appeal as after any rejection. A paid application
    is 409: a payment is never undone here."""
    authorize(actor, Perm.REVIEW_APPLICATION, obj=application)
    _refuse_own(actor, application)
    if application.status != AppStatus.APPROVED:
        raise _wrong_state()
    if not may_take_step(actor, application):
        raise Forbidden(
            _("Only an officer who may approve at this level can withdraw the approval."),
            code="wrong_step",
        )
    if application.entered_by_id == actor.pk:
        raise Forbidden(
            _("Whoever entered an application cannot review or approve it."),
            code="maker_checker",
        )
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(
            _("Give the reason for withdrawing the approval."),
            code="reason_required",
            field="note",
        )
    programme = application.programme
    with transaction.atomic():
        # The reservation is released only as far as it is not paid out (the CHECK constraints
        # hold it too): an approved application has no payment, so this always succeeds.
        released = (
            AidProgramme.objects.unscoped(reason="budget release after authorisation")
            .filter(pk=programme.pk, reserved_fen__gte=F("disbursed_fen") + application.amount_fen)
            .update(reserved_fen=F("reserved_fen") - application.amount_fen)
        )
        if not released:
            raise _wrong_state()
        _reject(application, actor, reason, action=Action.WITHDRAW_APPROVAL)
    return application


def _authorize_applicant_side(actor, application: AidApplication) -> None:
    """The applicant themself, or staff who may enter applications for the worker."""
    if not getattr(actor, "is_authenticated", False):
        raise Forbidden(_("You do not have permission to do this."))
    if _is_own(actor, application.worker):
        return
    authorize(actor, Perm.ENTER_APPLICATION, obj=application)


def application_resubmit(
    *, actor, application: AidApplication, answers: dict | None = None, files: dict | None = None,
    note: str = "",
) -> AidApplication:  # fmt: skip
    _authorize_applicant_side(actor, application)
    if application.status != AppStatus.RETURNED:
        raise _wrong_state()
    programme = application.programme
    clean = clean_answers(programme, answers) if answers is not None else application.answers
    stored = _store_files(programme, files or {}, required=False)
    try:
        with transaction.atomic():
            before = _snapshot(application)
            _move(application, to=AppStatus.APPLIED, step=0, round=application.round + 1,
                  answers=clean, note="")  # fmt: skip
            for k, name in stored.items():
                AidEvidence.objects.create(
                    application=application, key=k, image=name, uploaded_by=actor
                )
            _step(application, Action.RESUBMIT, actor, (note or "")[:500])
            _audit(actor, application, "resubmit", before)
    except BaseException:
        _delete_files(stored.values())
        raise
    return application


def application_appeal(*, actor, application: AidApplication, reason: str) -> AidApplication:
    """Once per application: a rejected application goes back to the first step."""
    _authorize_applicant_side(actor, application)
    if application.status != AppStatus.REJECTED:
        raise _wrong_state()
    if application.appealed:
        raise Conflict(_("An application can be appealed only once."), code="appeal_used")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(
            _("Say why the decision should change."), code="reason_required", field="note"
        )
    with transaction.atomic():
        before = _snapshot(application, "appealed")
        moved = (
            AidApplication.objects.unscoped(reason="compare-and-set after authorisation")
            .filter(pk=application.pk, status=AppStatus.REJECTED, appealed=False)
            .update(
                status=AppStatus.APPLIED,
                step=0,
                round=F("round") + 1,
                appealed=True,
                note="",
                updated_at=timezone.now(),
            )  # fmt: skip
        )
        if not moved:
            raise Conflict(_("An application can be appealed only once."), code="appeal_used")
        application.refresh_from_db(
            fields=["status", "step", "round", "appealed", "note", "updated_at"]
        )
        _step(application, Action.APPEAL, actor, reason)
        _audit(actor, application, "appeal", before, reason)
    return application


# --- disbursement --------------------------------------------------------------------------------
def _existing_entry(key: str, application: AidApplication) -> Disbursement | None:
    entry = (
        Disbursement.objects.unscoped(reason="idempotency look-up")
        .filter(idempotency_key=key)
        .first()
    )
    if entry is not None and entry.application_id != application.pk:
        raise Conflict(
            _("This payment key was used for another application."), code="idempotency_reused"
        )
    return entry


def application_disburse(
    *,
    actor,
    application: AidApplication,
    idempotency_key: str,
    reference: str = "",
    place: str = "",
    station=None,
    signature=None,
) -> tuple[Disbursement, bool]:
    """Pay (or hand over) an approved application once. ``(entry, created)``: a retry with the
    same key returns the first entry (R38); a second payment with another key is 409.

    The application moves approved → disbursed with a compare-and-set, the programme's paid
    amount grows in an UPDATE that keeps it within the approved amount, and one append-only
    ledger row with the unique key is inserted — all in one transaction (R36, R37)."""
    authorize(actor, Perm.DISBURSE, obj=application)
    _refuse_own(actor, application)
    key = (idempotency_key or "").strip()
    if not _IDEMPOTENCY.fullmatch(key):
        raise DomainError(
            _("The request has no valid payment key; reload the page and try again."),
            code="idempotency_key",
            field="idempotency_key",
        )
    existing = _existing_entry(key, application)
    if existing is not None:
        return existing, False
    if application.approved_by_id == actor.pk:
        raise Forbidden(
            _("Whoever approved an application cannot also pay it out."), code="maker_checker"
        )
    if application.status != AppStatus.APPROVED:
        raise _wrong_state()
    programme = application.programme
    goods = programme.benefit == BenefitKind.GOODS
    place = (place or "").strip()[:100]
    if goods and not (place or station):
        raise DomainError(
            _("Say where the goods were handed over (a station or an event)."),
            code="required",
            field="place",
        )
    if goods and signature is None:
        raise DomainError(
            _("Add a photo of the signed receipt."), code="required", field="signature"
        )
    stored = (
        image_store(upload=signature, subdir="aid/signatures", field="signature").name
        if signature is not None
        else ""
    )
    try:
        with transaction.atomic():
            before = _snapshot(application)
            try:
                _move(application, to=AppStatus.DISBURSED)
            except Conflict:
                # Lost the race: a concurrent retry with the same key gets the winner's entry.
                existing = _existing_entry(key, application)
                if existing is not None:
                    _delete_files([stored] if stored else [])
                    return existing, False
                raise Conflict(
                    _("This application has already been paid."), code="already_disbursed"
                ) from None
            amount = application.amount_fen
            paid = (
                AidProgramme.objects.unscoped(reason="ledger total after authorisation")
                .filter(pk=programme.pk, disbursed_fen__lte=F("reserved_fen") - amount)
                .update(disbursed_fen=F("disbursed_fen") + amount)
            )
            if not paid:  # only if the invariants were broken elsewhere
                raise Conflict(_("Payments would exceed the approved amount."), code="overpaid")
            try:
                with transaction.atomic():
                    entry = Disbursement(
                        programme=programme,
                        application=application,
                        kind=EntryKind.HANDOVER if goods else EntryKind.PAYMENT,
                        amount_fen=amount,
                        idempotency_key=key,
                        station=station,
                        place=place,
                        signature=stored,
                        reference=(reference or "").strip()[:64],
                        by=actor,
                    )
                    entry.save()
            except IntegrityError:
                raise Conflict(
                    _("This application has already been paid."), code="already_disbursed"
                ) from None
            _step(application, Action.DISBURSE, actor)
            _audit(actor, application, "disburse", before)
            record(
                actor=actor,
                action="aid.ledger_entry",
                target=entry,
                region=application.region,
                changes={"kind": [None, entry.kind], "amount_fen": [None, amount]},
            )
            _notify(
                application,
                "aid.disbursed",
                _("Your aid from %(p)s has been paid or handed over.") % {"p": programme.name},
            )
    except BaseException:
        if stored:
            image_delete(stored)
        raise
    return entry, True


def application_close(*, actor, application: AidApplication, note: str = "") -> AidApplication:
    authorize(actor, Perm.DISBURSE, obj=application)
    _refuse_own(actor, application)
    if application.status != AppStatus.DISBURSED:
        raise _wrong_state()
    with transaction.atomic():
        before = _snapshot(application)
        _move(application, to=AppStatus.CLOSED)
        _step(application, Action.CLOSE, actor, (note or "").strip()[:500])
        _audit(actor, application, "close", before)
    return application


# --- the payment list for the finance office (R29) -----------------------------------------------
EXPORT_DIR = "exports"
_EXPORT_NAME = re.compile(r"exports/aid-[0-9a-f]{32}\.xlsx")


def _list_region(actor) -> Region:
    paths = authorize(actor, Perm.DISBURSE)
    home = getattr(actor.region, "path", "") if actor.region_id else ""
    path = next((p for p in paths if home.startswith(p)), paths[0])
    return Region.objects.get(path=path)


def payment_list_request(*, actor, programme: AidProgramme, reason: str) -> PaymentList:
    region = _list_region(actor)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Say what the list is for."), code="reason_required", field="reason")
    with transaction.atomic():
        item = PaymentList.objects.create(
            programme=programme, region=region, requested_by=actor, reason=reason[:500]
        )
        record(
            actor=actor,
            action="aid.payment_list_request",
            target=item,
            region=region,
            changes={"programme": [None, programme.pk], "status": [None, item.status]},
            reason=reason[:500],
        )
    return item


def payment_rows(item: PaymentList) -> list[dict]:
    """Approved (not yet paid) applications of the programme in the list's region, masked."""
    apps = (
        AidApplication.objects.unscoped(reason="a payment list, in the requester's scope")
        .filter(
            programme=item.programme,
            status=AppStatus.APPROVED,
            region__path__startswith=item.region.path,
        )
        .select_related("worker__company", "region", "approved_by")
        .order_by("region_id", "pk")
    )
    return [
        {
            "no": a.pk,
            "name": mask_name(a.worker.name),
            "phone": mask_phone(a.worker.phone),
            "id_number": mask_id_number(a.worker.id_number),
            "company": a.worker.company.name,
            "region": a.region.name,
            "amount": a.amount_fen / 100,
            "approved_by": mask_name(a.approved_by.name if a.approved_by else ""),
        }
        for a in apps
    ]


def _layout():
    from warmbee.core.tabular import Column, Layout

    return Layout(
        sheet_title=_("Payment list"),
        columns=[
            Column("no", _("Application"), width=10),
            Column("name", _("Name"), text=True),
            Column("phone", _("Mobile"), text=True),
            Column("id_number", _("ID number"), text=True, width=22),
            Column("company", _("Company"), text=True, width=24),
            Column("region", _("Region"), text=True),
            Column("amount", _("Amount (yuan)")),
            Column("approved_by", _("Approved by"), text=True),
        ],
    )


def _list_path(name: str) -> Path:
    if not _EXPORT_NAME.fullmatch(name):
        raise ValueError(f"not a payment list file: {name!r}")
    return Path(settings.MEDIA_ROOT) / name


def _authorize_list_decision(actor, item: PaymentList) -> None:
    authorize(actor, Perm.DISBURSE, obj=item)
    if item.requested_by_id == actor.pk:
        raise Forbidden(_("Someone else must approve your own payment list."), code="same_person")


def payment_list_approve(*, actor, item: PaymentList) -> PaymentList:
    from warmbee.core import tabular

    _authorize_list_decision(actor, item)
    if item.status != PaymentListStatus.PENDING:
        raise Conflict(_("This request has already been decided."), code="decided")
    rows = payment_rows(item)
    now = timezone.localtime()
    watermark = _("%(requester)s, approved by %(approver)s, %(time)s") % {
        "requester": mask_name(item.requested_by.name),
        "approver": mask_name(actor.name),
        "time": f"{now:%Y-%m-%d %H:%M}",
    }
    content = tabular.export_xlsx(_layout(), rows, watermark=watermark)
    name = f"{EXPORT_DIR}/aid-{secrets.token_hex(16)}.xlsx"
    path = _list_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(crypto.seal(content, context=f"export:{name}"))
    try:
        with transaction.atomic():
            moved = (
                PaymentList.objects.unscoped(reason="compare-and-set after authorisation")
                .filter(pk=item.pk, status=PaymentListStatus.PENDING)
                .update(
                    status=PaymentListStatus.APPROVED,
                    decided_by=actor,
                    decided_at=timezone.now(),
                    file=name,
                    row_count=len(rows),
                    total_fen=sum(round(r["amount"] * 100) for r in rows),
                    expires_at=timezone.now() + dt.timedelta(hours=settings.EXPORT_TTL_HOURS),
                )
            )
            if not moved:
                raise Conflict(_("This request has already been decided."), code="decided")
            item.refresh_from_db()
            record(
                actor=actor,
                action="aid.payment_list_approve",
                target=item,
                region=item.region,
                changes={"status": ["pending", "approved"], "rows": [0, len(rows)]},
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return item


def payment_list_download(*, actor, item: PaymentList) -> tuple[bytes, str]:
    if item.requested_by_id != actor.pk:
        raise NotFound(_("Not found."))
    if item.status == PaymentListStatus.EXPIRED or (
        item.expires_at is not None and item.expires_at <= timezone.now()
    ):
        raise Gone(_("The file has expired and been deleted."), code="expired")
    if item.status != PaymentListStatus.APPROVED:
        raise Forbidden(_("The list has not been approved."), code="not_approved")
    content = crypto.unseal(_list_path(item.file).read_bytes(), context=f"export:{item.file}")
    with transaction.atomic():
        record(
            actor=actor,
            action="aid.payment_list_download",
            target=item,
            region=item.region,
            changes={"rows": [None, item.row_count]},
        )
    return content, f"payment-list-{item.pk}.xlsx"


def payment_lists_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired payment-list files (run with ``manage.py purge_exports``' schedule)."""
    now = now or timezone.now()
    done = 0
    for item in PaymentList.objects.unscoped(reason="system purge").filter(
        status=PaymentListStatus.APPROVED, expires_at__lte=now
    ):
        if item.file:
            _list_path(item.file).unlink(missing_ok=True)
        with transaction.atomic():
            PaymentList.objects.unscoped(reason="system purge").filter(pk=item.pk).update(
                status=PaymentListStatus.EXPIRED, file=""
            )
            record(actor=None, action="aid.payment_list_expire", target=item, region=item.region)
        done += 1
    return done


# --- review deadlines (core.deadlines) --------------------------------------------------------
def step_officers(application: AidApplication) -> list:
    """The active accounts that may take the application's current review step: holders of
    REVIEW_APPLICATION at the step's level or above, over the application's region."""
    from warmbee.accounts.models import RoleAssignment

    steps = application.programme.review_steps or []
    if application.step >= len(steps):
        return []
    need = _level_rank(steps[application.step]["level"])
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.REVIEW_APPLICATION in perms]
    parts = [p for p in application.region.path.split("/") if p]
    grants = (
        RoleAssignment.objects.unscoped(reason="who may take a review step")
        .filter(role__in=roles, region_id__in=parts, user__is_active=True)
        .select_related("user", "region")
        .order_by("user_id")
    )
    users = {g.user_id: g.user for g in grants if _level_rank(g.region.level) >= need}
    return list(users.values())


def overdue_reviews(now: dt.datetime) -> list[AidApplication]:
    return list(
        AidApplication.objects.unscoped(reason="deadline scan")
        .filter(status__in=IN_REVIEW, review_due_at__lt=now, review_escalated_at__isnull=True)
        .order_by("review_due_at")[:500]
    )


def escalate_review(application: AidApplication, now: dt.datetime) -> bool:
    """Tell the officers who may take the late step, once per step (the mark commits with the
    notices and the audit row)."""
    from warmbee.notify.services import notify_user

    with transaction.atomic():
        app = (
            AidApplication.objects.unscoped(reason="row lock for an escalation")
            .select_for_update(of=("self",))
            .select_related("programme", "region")
            .get(pk=application.pk)
        )
        late = app.status in IN_REVIEW and app.review_due_at and app.review_due_at < now
        if not late or app.review_escalated_at is not None:
            return False
        app.review_escalated_at = now
        app.save(update_fields=["review_escalated_at"])
        officers = step_officers(app)
        link = reverse("aid:console_application", args=[app.pk])
        for user in officers:
            notify_user(
                user=user,
                kind="aid.review_overdue",
                subject=_("Overdue: aid application #%(pk)s is waiting for %(step)s")
                % {"pk": app.pk, "step": app.step_label},
                link=link,
            )
        record(
            actor=None,
            action="aid.review_overdue",
            target=app,
            region=app.region,
            changes={"review_escalated_at": [None, now.isoformat()], "notified": len(officers)},
        )
    return True


# --- retention (R28) ---------------------------------------------------------------------------
def rejected_expired(now: dt.datetime) -> list[AidApplication]:
    """Rejected applications past ``RETENTION_REJECTED_AID_DAYS`` since the rejection."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_REJECTED_AID_DAYS)
    return list(
        AidApplication.objects.unscoped(reason="retention scan")
        .filter(status=AppStatus.REJECTED, updated_at__lt=cutoff)
        .order_by("updated_at")[:500]
    )


def rejected_purge(application: AidApplication, now: dt.datetime) -> bool:
    """Delete a long-rejected application with its answers, evidence (rows and files) and
    timeline. What stays: the audit trail, which names the application but holds none of its
    answers. Nothing else refers to it: a rejected application has no payment."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_REJECTED_AID_DAYS)
    app = (
        AidApplication.objects.unscoped(reason="row lock for a retention purge")
        .select_for_update(of=("self",))
        .select_related("region")
        .filter(pk=application.pk)
        .first()
    )
    if app is None or app.status != AppStatus.REJECTED or app.updated_at >= cutoff:
        return False
    files = list(
        AidEvidence.objects.unscoped(reason="retention purge")
        .filter(application=app)
        .values_list("image", flat=True)
    )
    record(
        actor=None,
        action="aid.rejected_purged",
        target=app,
        region=app.region,
        changes={"evidence": [len(files), 0]},
        reason="retention (R28)",
    )
    AidEvidence.objects.unscoped(reason="retention purge").filter(application=app).delete()
    AidStep.objects.unscoped(reason="retention purge").filter(application=app).delete()
    AidApplication.objects.unscoped(reason="retention purge").filter(pk=app.pk).delete()
    for name in files:
        transaction.on_commit(lambda name=name: image_delete(name))
    return True


def register_deadlines() -> None:
    deadlines.register("aid.review", overdue=overdue_reviews, escalate=escalate_review)
    retention.register("aid.rejected_applications", expired=rejected_expired, purge=rejected_purge)
