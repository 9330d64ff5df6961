"""Casework reads. Contents (the description, the timeline's text, the rating's comment) are
loaded only for the worker, the handler and the desk's supervisor; officers' lists and figures
are built from ``META_FIELDS`` alone, so no decryption happens on their pages (R4)."""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core.errors import NotFound
from warmbee.orgs.models import Desk, ServiceDesk
from warmbee.regions.models import Region

from .models import (
    META_FIELDS,
    OPEN_STATUSES,
    WORKER_VISIBLE,
    CaseEntry,
    Channel,
    HelpRequest,
    Kind,
    Outcome,
    Status,
)
from .services import memberships, role_on


def _get(pk) -> HelpRequest | None:
    try:
        return (
            HelpRequest.objects.unscoped(reason="access check follows (role_on / scope)")
            .select_related("region", "desk", "desk__provider", "handled_by", "user")
            .defer("description", "rating_comment")
            .get(pk=int(pk))
        )
    except (HelpRequest.DoesNotExist, ValueError, TypeError):
        return None


def access_case(actor, pk) -> tuple[HelpRequest, str]:
    """The case and the actor's role on it: ``worker`` / ``handler`` / ``supervisor`` (may
    read contents) or ``officer`` (existence, desk, status, times only); else 404."""
    case = _get(pk)
    if case is None:
        raise NotFound(_("Not found."))
    role = role_on(actor, case)
    if role is not None:
        return case, role
    if has_perm(actor, Perm.VIEW_CASE_FIGURES, case.region):
        return case, "officer"
    raise NotFound(_("Not found."))


def access_own_case(actor, pk) -> HelpRequest:
    case, role = access_case(actor, pk)
    if role != "worker":
        raise NotFound(_("Not found."))
    return case


def access_handled_case(actor, pk) -> tuple[HelpRequest, str]:
    case, role = access_case(actor, pk)
    if role not in ("handler", "supervisor"):
        raise NotFound(_("Not found."))
    return case, role


def description_of(case: HelpRequest) -> str:
    """The worker's words, decrypted (call only after ``access_case`` gave a content role)."""
    return (
        HelpRequest.objects.unscoped(reason="contents for an authorised reader")
        .values_list("description", flat=True)
        .get(pk=case.pk)
    )


def timeline(case: HelpRequest, role: str) -> list[CaseEntry]:
    if role not in ("worker", "handler", "supervisor"):
        return []
    qs = CaseEntry.objects.unscoped(reason="the timeline of an accessible case").filter(case=case)
    if role == "worker":
        qs = qs.filter(kind__in=WORKER_VISIBLE)
    return list(qs.select_related("written_by"))


def my_requests(actor) -> list[HelpRequest]:
    if not has_perm(actor, Perm.ASK_HELP):
        return []
    return list(
        HelpRequest.objects.unscoped(reason="the worker's own requests")
        .filter(user=actor)
        .defer("description", "rating_comment")
        .select_related("desk")
    )


def queue(actor, *, closed: bool = False) -> list[HelpRequest]:
    """A provider's queue: cases they handle, every case of the desks they supervise, and the
    desk's cases nobody has yet (metadata only until assigned)."""
    mine = memberships(actor)
    supervised = [m.desk_id for m in mine if m.is_supervisor]
    member_of = [m.desk_id for m in mine]
    qs = (
        HelpRequest.objects.visible_to(actor, Perm.HANDLE_CASE)
        .filter(
            Q(handled_by=actor)
            | Q(desk_id__in=supervised)
            | Q(desk_id__in=member_of, handled_by=None)
        )
        .defer("description", "rating_comment")
        .select_related("desk", "handled_by", "region")
    )
    qs = qs.filter(status=Status.CLOSED) if closed else qs.filter(status__in=OPEN_STATUSES)
    cases = list(qs.order_by("-created_at")[:200])
    for c in cases:
        c.can_open = c.handled_by_id == actor.pk or c.desk_id in supervised
    if not closed:
        cases.sort(
            key=lambda c: (
                c.urgency != "urgent",
                c.first_response_at is not None,
                c.response_due_at if c.first_response_at is None else c.resolution_due_at,
            )
        )
    return cases


def desks_near(region: Region) -> list[ServiceDesk]:
    """The desk of each kind that would take a request from ``region`` (the "find the service"
    half: where it is, when it is open, its phone)."""
    from .services import route_desk

    found = [route_desk(kind, region) for kind in Desk.values]
    return [d for d in found if d is not None]


def desk_choices(case: HelpRequest) -> list:
    """Members of the case's desk who may handle it (for a supervisor's reassignment)."""
    from .models import DeskMember

    if case.desk_id is None:
        return []
    members = (
        DeskMember.objects.unscoped(reason="the desk of a case the supervisor reads")
        .filter(desk_id=case.desk_id, user__is_active=True)
        .select_related("user")
    )
    return [m for m in members if has_perm(m.user, Perm.HANDLE_CASE, case.region)]


# --- officers: metadata and figures --------------------------------------------------------
def _district_of(path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    return parts[2] if len(parts) >= 3 else parts[-1]


def meta_rows(actor, *, region: Region | None = None, status: str = "", desk: str = ""):
    """The cases an officer may know exist: ``META_FIELDS`` values only."""
    qs = HelpRequest.objects.visible_to(actor, Perm.VIEW_CASE_FIGURES)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if status in Status.values:
        qs = qs.filter(status=status)
    if desk in Kind.values:
        qs = qs.filter(kind=desk)
    return qs.values(*META_FIELDS, "region__path", "region__name", "desk__desk")


def figures(actor, *, region: Region | None = None) -> dict:
    """Requests by desk and channel, response and resolution times, deadlines met and
    satisfaction, per district — counted from metadata only."""
    now = timezone.now()
    rows = list(meta_rows(actor, region=region))
    names = dict(
        Region.objects.filter(code__in={_district_of(r["region__path"]) for r in rows}).values_list(
            "code", "name"
        )
    )

    def summary(items) -> dict:
        response = [
            (r["first_response_at"] - r["created_at"]).total_seconds() / 3600
            for r in items
            if r["first_response_at"]
        ]
        resolution = [
            (r["closed_at"] - r["created_at"]).total_seconds() / 86400
            for r in items
            if r["closed_at"] and r["outcome"] in (Outcome.RESOLVED, Outcome.REFERRED)
        ]
        due_r = [r for r in items if r["first_response_at"] or r["response_due_at"] < now]
        met_r = [
            r
            for r in due_r
            if r["first_response_at"] and r["first_response_at"] <= r["response_due_at"]
        ]
        due_c = [r for r in items if r["closed_at"] or r["resolution_due_at"] < now]
        met_c = [r for r in due_c if r["closed_at"] and r["closed_at"] <= r["resolution_due_at"]]
        ratings = [r["rating"] for r in items if r["rating"]]
        return {
            "total": len(items),
            "open": sum(1 for r in items if r["status"] in OPEN_STATUSES),
            "urgent": sum(1 for r in items if r["urgency"] == "urgent"),
            "response_hours": round(statistics.median(response), 1) if response else None,
            "resolution_days": round(statistics.median(resolution), 1) if resolution else None,
            "response_met": _pct(len(met_r), len(due_r)),
            "resolution_met": _pct(len(met_c), len(due_c)),
            "satisfaction": round(statistics.mean(ratings), 1) if ratings else None,
            "rated": len(ratings),
        }

    by_district = defaultdict(list)
    by_kind = defaultdict(list)
    by_channel = defaultdict(list)
    for r in rows:
        by_district[_district_of(r["region__path"])].append(r)
        by_kind[r["kind"]].append(r)
        by_channel[r["channel"]].append(r)
    kinds = dict(Kind.choices)
    channels = dict(Channel.choices)
    return {
        "all": summary(rows),
        "districts": [
            {"code": code, "name": names.get(code, code), **summary(items)}
            for code, items in sorted(by_district.items())
        ],
        "kinds": [
            {"code": k, "name": kinds[k], **summary(by_kind[k])} for k in Kind.values if by_kind[k]
        ],
        "channels": [
            {"code": c, "name": channels[c], **summary(by_channel[c])}
            for c in Channel.values
            if by_channel[c]
        ],
    }


def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def desks_for(actor, perm: str = Perm.MANAGE_DESK):
    return (
        ServiceDesk.objects.visible_to(actor, perm)
        .select_related("provider", "region")
        .order_by("region_id", "desk")
    )


DESK_LABELS = dict(Desk.choices)
