"""Casework writes (STYLE.md): keyword-only actor, authorisation, one transaction with its audit
row, notifications on commit. Audit rows and notifications never carry a case's contents: the
number, the kind and the fields that changed (ADR 0015).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.models import User
from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize, has_perm
from warmbee.audit.services import record
from warmbee.core import ratelimit
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound
from warmbee.core.validators import clean_model, normalize_mobile
from warmbee.notify.services import notify_user
from warmbee.orgs.models import Desk, ServiceDesk
from warmbee.regions.models import Level, Region

from . import rules
from .models import (
    OPEN_STATUSES,
    CaseConsent,
    CaseEntry,
    Channel,
    ConsentScope,
    ContactBy,
    CrisisTerm,
    DeskMember,
    EntryKind,
    HelpRequest,
    Kind,
    Outcome,
    Referral,
    ReferralTarget,
    Status,
    Urgency,
)

log = logging.getLogger(__name__)

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 2000
ENTRY_MAX = 4000
STAFF_ENTRY_KINDS = (EntryKind.CONTACT, EntryKind.ACTION, EntryKind.NOTE, EntryKind.MESSAGE)
REQUEST_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY})


# --- notifications (the shared inbox; ``notify_user`` arrives with civic-base) ---------------------
def _notify(user, *, kind: str, subject, link: str, sms: bool = False) -> None:
    """Tell ``user`` something happened, with a link and never the contents (the inbox row is
    written in this transaction, the SMS queued on commit)."""
    if user is None:
        return
    notify_user(user=user, kind=kind, subject=str(subject), body="", link=link, sms=sms)


def _case_link(case) -> str:
    return reverse("casework:case", args=[case.pk])


def _my_link(case) -> str:
    return reverse("casework:my_case", args=[case.pk])


# --- who is who on a case --------------------------------------------------------------------------
def memberships(user) -> list[DeskMember]:
    if user is None or not user.is_authenticated:
        return []
    return list(
        DeskMember.objects.unscoped(reason="the account's own desk memberships")
        .filter(user=user)
        .select_related("desk")
    )


def is_supervisor(user, desk_id) -> bool:
    return desk_id is not None and any(
        m.desk_id == desk_id and m.is_supervisor for m in memberships(user)
    )


def role_on(user, case: HelpRequest) -> str | None:
    """``worker`` (their own case), ``handler`` (assigned provider), ``supervisor`` (of the
    case's desk) — the actors who may read contents — or ``None``. Providers need their grant
    over the case's region as well as the membership."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if case.user_id == user.pk and has_perm(user, Perm.ASK_HELP):
        return "worker"
    if not has_perm(user, Perm.HANDLE_CASE, case.region):
        return None
    if case.handled_by_id == user.pk:
        return "handler"
    if is_supervisor(user, case.desk_id):
        return "supervisor"
    return None


def _lock(case: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.unscoped(reason="row lock after authorisation")
        .select_for_update(of=("self",))
        .select_related("region", "desk", "user", "handled_by")
        .get(pk=case.pk)
    )


def _transition(case: HelpRequest, action: str) -> str:
    if not rules.allowed(case.status, action):
        raise Conflict(
            _("This cannot be done while the request is “%(status)s”.")
            % {"status": case.get_status_display()},
            code="transition",
        )
    return rules.TRANSITIONS[(case.status, action)]


def _entry(case, *, kind, actor, now, body: str = "", event: str = "") -> CaseEntry:
    return CaseEntry.objects.create(
        case=case, kind=kind, body=body, event=event, written_by=actor, created_at=now
    )


def _status_entry(case, actor, now, event: str) -> None:
    _entry(case, kind=EntryKind.STATUS, actor=actor, now=now, event=event)


# --- crisis words and routing ----------------------------------------------------------------------
def crisis_matches(text: str) -> list[CrisisTerm]:
    """The active crisis terms found in ``text`` (normalised on both sides)."""
    haystack = rules.normalise(text)
    if not haystack:
        return []
    return [
        term
        for term in CrisisTerm.objects.filter(is_active=True)
        if (needle := rules.normalise(term.term)) and needle in haystack
    ]


def desk_kind_for(kind: str) -> str:
    return kind if kind in Desk.values else settings.CASEWORK_DEFAULT_DESK


def route_desk(kind: str, region: Region) -> ServiceDesk | None:
    """The active desk of the right kind for ``region``: the nearest one up the tree."""
    codes = [c for c in region.path.strip("/").split("/") if c]
    desks: dict[str, ServiceDesk] = {}
    for d in (
        ServiceDesk.objects.unscoped(reason="routing a request to its desk")
        .filter(desk=desk_kind_for(kind), region_id__in=codes, is_active=True)
        .select_related("provider")
        .order_by("pk")
    ):
        desks.setdefault(d.region_id, d)  # the longest-standing desk of a region
    for code in reversed(codes):
        if code in desks:
            return desks[code]
    return None


def route_provider(desk: ServiceDesk, region: Region) -> User | None:
    """A member of ``desk`` who may handle cases in ``region``: on duty first, then the fewest
    open cases, then the longest-standing member."""
    members = list(
        DeskMember.objects.unscoped(reason="routing a request to a provider")
        .filter(desk=desk, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    members = [m for m in members if has_perm(m.user, Perm.HANDLE_CASE, region)]
    if not members:
        return None
    load = dict(
        HelpRequest.objects.unscoped(reason="provider load for routing")
        .filter(handled_by_id__in=[m.user_id for m in members], status__in=OPEN_STATUSES)
        .values_list("handled_by_id")
        .annotate(n=Count("id"))
    )
    best = min(members, key=lambda m: (not m.on_duty, load.get(m.user_id, 0), m.pk))
    return best.user


def _desk_people(desk, *, supervisors=False, on_duty=False) -> list[User]:
    if desk is None:
        return []
    qs = DeskMember.objects.unscoped(reason="whom to tell about a desk's case").filter(
        desk=desk, user__is_active=True
    )
    if supervisors:
        qs = qs.filter(is_supervisor=True)
    if on_duty:
        qs = qs.filter(on_duty=True)
    return [m.user for m in qs.select_related("user")]


# --- asking for help -------------------------------------------------------------------------------
def help_request_create(
    *,
    actor,
    kind: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    contact_by: str = ContactBy.PHONE,
    consent: bool = False,
    channel: str = Channel.SELF,
    contact_name: str = "",
    contact_phone: str = "",
    region: Region | None = None,
) -> tuple[HelpRequest, list[tuple[str, str]]]:
    """A worker asks for help (``channel="self"``), or a hotline operator, station host or
    walk-in desk logs it on their behalf. Returns the case and the hotlines to show at once
    (non-empty when crisis words were found)."""
    if channel == Channel.SELF:
        authorize(actor, Perm.ASK_HELP)
        region = actor.region
        contact_name, contact_phone, user = actor.name, actor.phone, actor
    else:
        if channel not in Channel.values:
            raise DomainError(_("Choose how the request came in."), field="channel")
        if region is None:
            raise DomainError(_("Choose the worker's district."), code="required", field="region")
        authorize(actor, Perm.LOG_HELP_REQUEST, region=region)
        contact_name = (contact_name or "").strip()
        if not contact_name:
            raise DomainError(_("Enter the worker's name."), code="required", field="contact_name")
        try:
            contact_phone = normalize_mobile(contact_phone)
        except Exception as exc:  # ValidationError → a field error
            raise DomainError(
                " ".join(getattr(exc, "messages", [str(exc)])),
                code="invalid_phone",
                field="contact_phone",
            ) from None
        user = (
            User.objects.unscoped(reason="link a logged request to the worker's account")
            .filter(phone=contact_phone, is_active=True)
            .first()
        )
        if user is not None and not has_perm(user, Perm.ASK_HELP):
            user = None
    if region.level not in REQUEST_LEVELS or region.retired:
        raise DomainError(
            _("Choose a district, county or street."), code="region_level", field="region"
        )
    if kind not in Kind.values:
        raise DomainError(_("Choose what kind of help you need."), code="required", field="kind")
    if urgency not in Urgency.values:
        raise DomainError(_("Choose how urgent it is."), field="urgency")
    if contact_by not in ContactBy.values:
        raise DomainError(_("Choose how we should contact you."), field="contact_by")
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        raise DomainError(
            _("Tell us in a few words what happened."), code="required", field="description"
        )
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            _("At most %(n)d characters.") % {"n": DESCRIPTION_MAX},
            code="too_long",
            field="description",
        )
    if not consent:
        raise DomainError(
            _("Without your consent the desk cannot read your request."),
            code="consent_required",
            field="consent",
        )
    matches = crisis_matches(description)
    if matches:
        urgency = Urgency.URGENT
    hotlines = rules.hotlines_for(sorted({m.category for m in matches}))
    if user is not None and channel == Channel.SELF:
        ratelimit.hit(
            "casework.request",
            str(user.pk),
            limit=settings.CASEWORK_REQUESTS_PER_DAY,
            window=86400,
        )
    now = timezone.now()
    desk = route_desk(kind, region)
    response_due, resolution_due = rules.deadlines(desk_kind_for(kind), urgency, now)
    with transaction.atomic():
        case = HelpRequest(
            region=region,
            kind=kind,
            channel=channel,
            urgency=urgency,
            crisis=bool(matches),
            description=description,
            contact_by=contact_by,
            user=user,
            contact_name=contact_name[:64],
            contact_phone=contact_phone,
            logged_by=actor,
            desk=desk,
            status=Status.NEW,
            created_at=now,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
        )
        clean_model(case)
        case.save(force_insert=True)
        CaseConsent.objects.create(
            case=case,
            scope=ConsentScope.PROVIDER,
            notice_version=rules.SHARING_NOTICE_VERSION,
            notice_sha256=rules.SHARING_NOTICE_SHA256,
            channel=channel,
            recorded_by=actor,
            given_at=now,
        )
        _status_entry(case, actor, now, "created")
        provider = route_provider(desk, region) if desk is not None else None
        if provider is not None:
            case.handled_by, case.status, case.assigned_at = provider, Status.ASSIGNED, now
            case.save(update_fields=["handled_by", "status", "assigned_at"])
            _status_entry(case, None, now, "assigned")
        record(
            actor=actor,
            action="casework.request_create",
            target=case,
            region=region,
            changes={
                "kind": [None, kind],
                "channel": [None, channel],
                "urgency": [None, urgency],
                "crisis": [None, case.crisis],
                "desk": [None, getattr(desk, "pk", None)],
                "handled_by": [None, case.handled_by_id],
                "consent": [None, rules.SHARING_NOTICE_VERSION],
            },
        )
        urgent = urgency == Urgency.URGENT
        subject = (
            _("You have a new urgent help request") if urgent else _("You have a new help request")
        )
        told = set()
        if provider is not None:
            _notify(
                provider,
                kind="casework.assigned",
                subject=subject,
                link=_case_link(case),
                sms=urgent,
            )
            told.add(provider.pk)
        people = _desk_people(desk, on_duty=True) if case.crisis else []
        if provider is None:
            people += _desk_people(desk, supervisors=True)
        for person in people:
            if person.pk not in told:
                _notify(
                    person,
                    kind="casework.urgent" if urgent else "casework.unassigned",
                    subject=subject,
                    link=_case_link(case),
                    sms=urgent,
                )
                told.add(person.pk)
    return case, hotlines


# --- handling --------------------------------------------------------------------------------------
def _require_staff_role(actor, case) -> str:
    role = role_on(actor, case)
    if role not in ("handler", "supervisor"):
        raise NotFound(_("Not found."))
    return role


def _require_worker(actor, case) -> None:
    if role_on(actor, case) != "worker":
        raise NotFound(_("Not found."))


def case_open(*, actor, case: HelpRequest) -> str:
    """Reading a case's contents: allowed for its worker, handler and desk supervisor; staff
    reads are audited (a reveal of confidential data)."""
    role = role_on(actor, case)
    if role is None:
        raise NotFound(_("Not found."))
    if role != "worker":
        record(actor=actor, action="casework.case_open", target=case, region=case.region_id)
    return role


def case_reveal_phone(*, actor, case: HelpRequest) -> str:
    """The worker's full mobile number for the handler or supervisor to call them (masked
    everywhere else, R22); each reveal is audited, without the number."""
    _require_staff_role(actor, case)
    ratelimit.hit(
        "casework.reveal", str(actor.pk), limit=settings.REVEAL_LIMIT_PER_HOUR, window=3600
    )
    with transaction.atomic():
        record(
            actor=actor,
            action="casework.reveal_phone",
            target=case,
            region=case.region_id,
            reason="contact the worker about their case",
        )
    return case.contact_phone


def case_assign(*, actor, case: HelpRequest, provider: User) -> HelpRequest:
    """A desk supervisor assigns (or reassigns) the case to a member of the desk."""
    if role_on(actor, case) != "supervisor":
        if role_on(actor, case) == "handler":
            raise Forbidden(_("Only the desk's supervisor assigns cases."))
        raise NotFound(_("Not found."))
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        new_status = _transition(case, "assign")
        member = (
            DeskMember.objects.unscoped(reason="the case's desk members")
            .filter(desk_id=case.desk_id, user=provider, user__is_active=True)
            .exists()
        )
        if not member or not has_perm(provider, Perm.HANDLE_CASE, case.region):
            raise DomainError(
                _("Choose a provider who staffs this desk."), code="not_member", field="provider"
            )
        if provider.pk == case.handled_by_id:
            raise DomainError(
                _("The case is already with this provider."), code="unchanged", field="provider"
            )
        before = case.handled_by_id
        case.handled_by, case.status = provider, new_status
        case.assigned_at = case.assigned_at or now
        case.save(update_fields=["handled_by", "status", "assigned_at"])
        _status_entry(case, actor, now, "reassigned" if before else "assigned")
        record(
            actor=actor,
            action="casework.assign",
            target=case,
            region=case.region_id,
            changes={"handled_by": [before, provider.pk], "status": [None, new_status]},
        )
        urgent = case.urgency == Urgency.URGENT
        _notify(
            provider,
            kind="casework.assigned",
            subject=_("You have a new urgent help request")
            if urgent
            else _("You have a new help request"),
            link=_case_link(case),
            sms=urgent,
        )
    return case


def case_add_entry(*, actor, case: HelpRequest, kind: str, body: str) -> CaseEntry:
    """A contact, an action, an internal note or a message to the worker (staff), or a message
    from the worker. The first contact or message is the first response."""
    body = (body or "").strip()
    role = role_on(actor, case)
    if role is None:
        raise NotFound(_("Not found."))
    if role == "worker":
        if kind != EntryKind.WORKER:
            raise DomainError(_("Choose what to add."), field="kind")
    elif kind not in STAFF_ENTRY_KINDS:
        raise DomainError(_("Choose what to add."), field="kind")
    if not body:
        raise DomainError(_("Write something first."), code="required", field="body")
    if len(body) > ENTRY_MAX:
        raise DomainError(
            _("At most %(n)d characters.") % {"n": ENTRY_MAX}, code="too_long", field="body"
        )
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        if not case.is_open:
            raise Conflict(_("This request is closed. Reopen it first."), code="transition")
        fields: list[str] = []
        if role != "worker" and kind in (EntryKind.CONTACT, EntryKind.MESSAGE):
            if case.status == Status.NEW:
                raise Conflict(_("Assign the case first."), code="transition")
            new_status = _transition(case, "respond")
            if case.status != new_status:
                case.status = new_status
                fields.append("status")
            if case.first_response_at is None:
                case.first_response_at = now
                fields.append("first_response_at")
            if fields:
                case.save(update_fields=fields)
        entry = _entry(case, kind=kind, actor=actor, now=now, body=body)
        record(
            actor=actor,
            action="casework.entry_add",
            target=case,
            region=case.region_id,
            changes={"entry": [None, entry.pk], "kind": [None, kind]}
            | ({"status": [None, case.status]} if "status" in fields else {}),
        )
        if kind == EntryKind.MESSAGE and case.user_id:
            _notify(
                case.user,
                kind="casework.reply",
                subject=_("There is a reply on your help request"),
                link=_my_link(case),
            )
        if kind == EntryKind.WORKER and case.handled_by_id:
            _notify(
                case.handled_by,
                kind="casework.worker_message",
                subject=_("A worker wrote on a help request"),
                link=_case_link(case),
            )
    return entry


def _close(case, *, actor, outcome: str, now) -> None:
    case.status, case.outcome, case.closed_at = Status.CLOSED, outcome, now
    case.save(update_fields=["status", "outcome", "closed_at"])
    _status_entry(case, actor, now, f"closed:{outcome}")
    if case.user_id and case.user_id != actor.pk:
        _notify(
            case.user,
            kind="casework.closed",
            subject=_("Your help request was closed: please tell us how it went"),
            link=_my_link(case),
        )


def case_close(*, actor, case: HelpRequest, outcome: str, note: str = "") -> HelpRequest:
    """The handler or supervisor closes the case: resolved, or the worker was unreachable."""
    _require_staff_role(actor, case)
    if outcome not in (Outcome.RESOLVED, Outcome.UNREACHABLE):
        raise DomainError(_("Choose the outcome."), code="required", field="outcome")
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        _transition(case, "close")
        if note.strip():
            _entry(
                case, kind=EntryKind.MESSAGE, actor=actor, now=now, body=note.strip()[:ENTRY_MAX]
            )
        _close(case, actor=actor, outcome=outcome, now=now)
        record(
            actor=actor,
            action="casework.close",
            target=case,
            region=case.region_id,
            changes={"status": [None, Status.CLOSED], "outcome": [None, outcome]},
        )
    return case


def case_refer(
    *,
    actor,
    case: HelpRequest,
    target: str,
    target_name: str = "",
    consent: bool = False,
    note: str = "",
) -> Referral:
    """Hand the case on (12351, 12355, legal-aid centre, hospital, court …) with the worker's
    consent to share it there, recorded and versioned; the case closes as referred."""
    _require_staff_role(actor, case)
    if target not in ReferralTarget.values:
        raise DomainError(_("Choose where to refer the case."), code="required", field="target")
    target_name = (target_name or "").strip()[:100]
    if target == ReferralTarget.OTHER and not target_name:
        raise DomainError(
            _("Name the service the case goes to."), code="required", field="target_name"
        )
    if not consent:
        raise DomainError(
            _("Record the worker's consent to share the case with this service first."),
            code="consent_required",
            field="consent",
        )
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        _transition(case, "refer")
        given = CaseConsent.objects.create(
            case=case,
            scope=ConsentScope.REFERRAL,
            target=target_name or target,
            notice_version=rules.SHARING_NOTICE_VERSION,
            notice_sha256=rules.SHARING_NOTICE_SHA256,
            channel=Channel.WALK_IN if case.channel == Channel.WALK_IN else Channel.HOTLINE,
            recorded_by=actor,
            given_at=now,
        )
        referral = Referral.objects.create(
            case=case,
            target=target,
            target_name=target_name,
            consent=given,
            made_by=actor,
            created_at=now,
        )
        if note.strip():
            _entry(
                case, kind=EntryKind.MESSAGE, actor=actor, now=now, body=note.strip()[:ENTRY_MAX]
            )
        _close(case, actor=actor, outcome=Outcome.REFERRED, now=now)
        record(
            actor=actor,
            action="casework.refer",
            target=case,
            region=case.region_id,
            changes={
                "status": [None, Status.CLOSED],
                "outcome": [None, Outcome.REFERRED],
                "referral": [None, target],
                "consent": [None, given.pk],
            },
        )
    return referral


def case_withdraw(*, actor, case: HelpRequest) -> HelpRequest:
    """The worker no longer needs help."""
    _require_worker(actor, case)
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        _transition(case, "withdraw")
        _close(case, actor=actor, outcome=Outcome.WITHDRAWN, now=now)
        # R25: withdrawing the request withdraws the consent to share it; nothing more is done
        # with it unless the worker reopens it (which asks again).
        CaseConsent.objects.unscoped(reason="the case's own consents").filter(
            case=case, withdrawn_at=None
        ).update(withdrawn_at=now)
        record(
            actor=actor,
            action="casework.withdraw",
            target=case,
            region=case.region_id,
            changes={"status": [None, Status.CLOSED], "outcome": [None, Outcome.WITHDRAWN]},
        )
        if case.handled_by_id:
            _notify(
                case.handled_by,
                kind="casework.withdrawn",
                subject=_("A worker withdrew a help request"),
                link=_case_link(case),
            )
    return case


def case_reopen(*, actor, case: HelpRequest, reason: str = "") -> HelpRequest:
    """The worker or the case's provider reopens a closed case within the reopen window."""
    role = role_on(actor, case)
    if role is None:
        raise NotFound(_("Not found."))
    now = timezone.now()
    with transaction.atomic():
        case = _lock(case)
        _transition(case, "reopen")
        window = dt.timedelta(days=settings.CASEWORK_REOPEN_DAYS)
        if case.closed_at is None or now - case.closed_at > window:
            raise Conflict(
                _("A request can be reopened only within %(n)d days of closing; ask again.")
                % {"n": settings.CASEWORK_REOPEN_DAYS},
                code="reopen_window",
            )
        live = CaseConsent.objects.unscoped(reason="the case's own consents").filter(
            case=case, scope=ConsentScope.PROVIDER, withdrawn_at=None
        )
        if not live.exists():
            if role != "worker":
                raise Conflict(
                    _("The worker withdrew their consent; only they can reopen this request."),
                    code="consent_required",
                )
            CaseConsent.objects.create(
                case=case,
                scope=ConsentScope.PROVIDER,
                notice_version=rules.SHARING_NOTICE_VERSION,
                notice_sha256=rules.SHARING_NOTICE_SHA256,
                channel=Channel.SELF,
                recorded_by=actor,
                given_at=now,
            )
        before = (case.status, case.outcome)
        case.status = Status.IN_PROGRESS if case.handled_by_id else Status.NEW
        case.outcome, case.closed_at = "", None
        case.reopened_count += 1
        case.resolution_due_at = rules.deadlines(desk_kind_for(case.kind), case.urgency, now)[1]
        case.resolution_escalated_at = None
        case.save(
            update_fields=[
                "status",
                "outcome",
                "closed_at",
                "reopened_count",
                "resolution_due_at",
                "resolution_escalated_at",
            ]
        )
        _status_entry(case, actor, now, "reopened")
        reason = (reason or "").strip()[:ENTRY_MAX]
        if reason:
            kind = EntryKind.WORKER if role == "worker" else EntryKind.NOTE
            _entry(case, kind=kind, actor=actor, now=now, body=reason)
        record(
            actor=actor,
            action="casework.reopen",
            target=case,
            region=case.region_id,
            changes={"status": [before[0], case.status], "outcome": [before[1], ""]},
        )
        if role == "worker" and case.handled_by_id:
            _notify(
                case.handled_by,
                kind="casework.reopened",
                subject=_("A worker reopened a help request"),
                link=_case_link(case),
            )
    return case


def case_rate(*, actor, case: HelpRequest, rating, comment: str = "") -> HelpRequest:
    """The worker's satisfaction (1–5, with an optional comment), once, after closing."""
    _require_worker(actor, case)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError(_("Choose from 1 to 5 stars."), code="required", field="rating")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise DomainError(
            _("At most %(n)d characters.") % {"n": 500}, code="too_long", field="comment"
        )
    with transaction.atomic():
        case = _lock(case)
        if case.status != Status.CLOSED:
            raise Conflict(
                _("You can rate the help once the request is closed."), code="transition"
            )
        if case.rated_at is not None:
            raise Conflict(_("You have already rated this request."), code="already_rated")
        case.rating, case.rating_comment, case.rated_at = rating, comment, timezone.now()
        case.save(update_fields=["rating", "rating_comment", "rated_at"])
        record(
            actor=actor,
            action="casework.rate",
            target=case,
            region=case.region_id,
            changes={"rating": [None, rating]},
        )
    return case


# --- desks -----------------------------------------------------------------------------------------
def desk_member_set(
    *, actor, desk: ServiceDesk, user: User, is_supervisor: bool = False
) -> DeskMember:
    """An officer puts a provider on a desk of their region (or changes the supervisor flag)."""
    authorize(actor, Perm.MANAGE_DESK, obj=desk)
    if not has_perm(user, Perm.HANDLE_CASE, desk.region):
        raise DomainError(
            _("This account is not a service provider for the desk's region."),
            code="not_provider",
            field="user",
        )
    with transaction.atomic():
        member, created = DeskMember.objects.unscoped(reason="after authorisation").get_or_create(
            desk=desk, user=user, defaults={"is_supervisor": is_supervisor}
        )
        before = None if created else member.is_supervisor
        if not created and member.is_supervisor != is_supervisor:
            member.is_supervisor = is_supervisor
            member.save(update_fields=["is_supervisor"])
        desk.members.add(user)
        record(
            actor=actor,
            action="casework.desk_member",
            target=member,
            region=desk.region_id,
            changes={"user": [None, user.pk], "is_supervisor": [before, is_supervisor]},
        )
    return member


def desk_member_remove(*, actor, member: DeskMember) -> None:
    """An officer takes a provider off a desk. Cases they handle stay with them until the
    supervisor reassigns them."""
    authorize(actor, Perm.MANAGE_DESK, obj=member.desk)
    with transaction.atomic():
        record(
            actor=actor,
            action="casework.desk_member_remove",
            target=member,
            region=member.desk.region_id,
            changes={"user": [member.user_id, None], "is_supervisor": [member.is_supervisor, None]},
        )
        member.desk.members.remove(member.user)
        member.delete()


def duty_set(*, actor, on_duty: bool) -> int:
    """A provider goes on or off duty at all their desks; returns how many memberships."""
    mine = memberships(actor)
    if not mine:
        raise NotFound(_("Not found."))
    with transaction.atomic():
        n = (
            DeskMember.objects.unscoped(reason="the account's own memberships")
            .filter(user=actor)
            .update(on_duty=bool(on_duty))
        )
        record(
            actor=actor,
            action="casework.duty",
            target=actor,
            changes={"on_duty": [not on_duty, bool(on_duty)]},
        )
    return n


# --- deadlines (registered with core.deadlines in apps.py) -------------------------------------
def overdue_responses(now):
    return (
        HelpRequest.objects.unscoped(reason="deadline escalation")
        .filter(
            status__in=OPEN_STATUSES,
            first_response_at=None,
            response_due_at__lt=now,
            response_escalated_at=None,
        )
        .select_related("desk", "handled_by")
    )


def overdue_resolutions(now):
    return (
        HelpRequest.objects.unscoped(reason="deadline escalation")
        .filter(status__in=OPEN_STATUSES, resolution_due_at__lt=now, resolution_escalated_at=None)
        .select_related("desk", "handled_by")
    )


def _escalate(case, now, *, field: str, due_field: str, subject) -> bool:
    """Mark the case escalated and tell the desk's supervisors and its provider, in one
    transaction; a case no longer overdue or already escalated is left alone (idempotent)."""
    pending = {field: None, f"{due_field}__lt": now, "status__in": OPEN_STATUSES}
    if field == "response_escalated_at":
        pending["first_response_at"] = None
    with transaction.atomic():
        updated = (
            HelpRequest.objects.unscoped(reason="deadline escalation")
            .filter(pk=case.pk, **pending)
            .update(**{field: now})
        )
        if not updated:
            return False
        record(
            actor=None,
            action=f"casework.{field.removesuffix('_at')}",
            target=case,
            region=case.region_id,
            changes={field: [None, now]},
        )
        told = set()
        for person in _desk_people(case.desk, supervisors=True) + (
            [case.handled_by] if case.handled_by_id else []
        ):
            if person.pk not in told:
                _notify(
                    person,
                    kind="casework.overdue",
                    subject=subject,
                    link=_case_link(case),
                    sms=case.urgency == Urgency.URGENT,
                )
                told.add(person.pk)
    return True


def escalate_response(case, now) -> bool:
    return _escalate(
        case,
        now,
        field="response_escalated_at",
        due_field="response_due_at",
        subject=_("A help request is waiting past its first-response deadline"),
    )


def escalate_resolution(case, now) -> bool:
    return _escalate(
        case,
        now,
        field="resolution_escalated_at",
        due_field="resolution_due_at",
        subject=_("A help request is open past its resolution deadline"),
    )


def escalate_overdue(now=None) -> int:
    """Run both escalations once (the scheduler calls the registered pair; tests call this)."""
    now = now or timezone.now()
    n = 0
    for case in list(overdue_responses(now)):
        n += escalate_response(case, now)
    for case in list(overdue_resolutions(now)):
        n += escalate_resolution(case, now)
    return n


# --- retention (R28) ---------------------------------------------------------------------------
def health_contents_expired(now: dt.datetime) -> list[HelpRequest]:
    """Closed physical/mental-health requests past ``RETENTION_HEALTH_CASE_DAYS``."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_HEALTH_CASE_DAYS)
    return list(
        HelpRequest.objects.unscoped(reason="retention scan")
        .filter(
            kind=Kind.HEALTH,
            status=Status.CLOSED,
            closed_at__lt=cutoff,
            contents_purged_at__isnull=True,
        )
        .order_by("closed_at")[:500]
    )


def health_contents_purge(case: HelpRequest, now: dt.datetime) -> bool:
    """Erase what the worker and the provider wrote (the description, the rating's comment,
    every timeline text); what is left is the metadata the figures count: kind, desk, region,
    status, outcome, times, rating."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_HEALTH_CASE_DAYS)
    erased = (
        HelpRequest.objects.unscoped(reason="retention purge")
        .filter(
            pk=case.pk,
            kind=Kind.HEALTH,
            status=Status.CLOSED,
            closed_at__lt=cutoff,
            contents_purged_at__isnull=True,
        )
        .update(description="", rating_comment="", contents_purged_at=now)
    )
    if not erased:
        return False
    entries = CaseEntry.objects.unscoped(reason="retention purge").filter(case_id=case.pk)
    count = entries.count()
    entries.update(body="")
    record(
        actor=None,
        action="casework.contents_purged",
        target=case,
        region=case.region_id,
        changes={"entries": [count, count], "contents_purged_at": [None, now]},
        reason="retention (R28)",
    )
    return True
