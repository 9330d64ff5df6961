"""Snap-and-report reads: scoped lists for staff, the reporter's own reports, public rows,
figures by category, and the configuration (routing table, response templates, API keys) in the
officer's MANAGE_CIVIC scope, and the global report categories. Every staff read starts from ``visible_to``; the public never reads
the reporter (R31)."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, has_perm
from warmbee.core.errors import NotFound
from warmbee.regions.models import Region

from .models import (
    OPEN_STATUSES,
    ApiClient,
    Category,
    CivicReport,
    ReportPhoto,
    ResponseTemplate,
    RoutingRule,
    Status,
)

PUBLIC_STEP = Decimal("0.001")


def public_coordinate(value) -> float:
    """3 decimals (about 100 m) for anything public (R31)."""
    return float(Decimal(value).quantize(PUBLIC_STEP, rounding=ROUND_HALF_UP))


def categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True))


def staff_reports(*, actor, status: str = "", category: str = "", overdue: bool = False):
    qs = (
        CivicReport.objects.visible_to(actor, Perm.VIEW_REPORT)
        .select_related("category", "region")
        .order_by("-created_at", "-id")
    )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category__code=category)
    if overdue:
        qs = qs.filter(overdue_q(timezone.now()))
    return qs


def overdue_q(now) -> Q:
    return Q(status=Status.SUBMITTED, ack_due_at__lt=now) | Q(
        status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED],
        resolve_due_at__lt=now,
    )


def is_overdue(report: CivicReport, now=None) -> bool:
    now = now or timezone.now()
    if report.status == Status.SUBMITTED:
        return bool(report.ack_due_at and report.ack_due_at < now)
    if report.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.REOPENED):
        return bool(report.resolve_due_at and report.resolve_due_at < now)
    return False


def access_report(actor, code: str) -> CivicReport:
    try:
        return (
            CivicReport.objects.visible_to(actor, Perm.VIEW_REPORT)
            .select_related("category", "region", "reporter", "duplicate_of", "area")
            .get(code=code)
        )
    except CivicReport.DoesNotExist:
        raise NotFound(_("Not found.")) from None


def own_reports(user):
    return (
        CivicReport.objects.unscoped(reason="the reporter's own reports")
        .filter(reporter=user)
        .select_related("category", "duplicate_of")
    )


def own_report(user, code: str) -> CivicReport:
    report = own_reports(user).filter(code=code).first()
    if report is None:
        raise NotFound(_("Not found."))
    return report


def templates_for(actor, report: CivicReport) -> list[ResponseTemplate]:
    parts = [p for p in report.region.path.split("/") if p]
    return list(
        ResponseTemplate.objects.unscoped(reason="response templates of the report's regions")
        .filter(region_id__in=parts, is_active=True)
        .filter(Q(category__isnull=True) | Q(category=report.category_id))
    )


def photo_for(actor, pk: int) -> ReportPhoto:
    """A photo anyone may see once its report is past moderation; before that, only its
    reporter and the staff who see the report (R34). Anything else: 404."""
    photo = ReportPhoto.objects.select_related("report", "report__region").filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("Not found."))
    report = photo.report
    if report.photos_public:
        return photo
    if getattr(actor, "is_authenticated", False):
        if report.reporter_id == actor.pk:
            return photo
        from warmbee.accounts.scoping import has_perm

        if has_perm(actor, Perm.VIEW_REPORT, report.region):
            return photo
    raise NotFound(_("Not found."))


def figures(*, actor, days: int = 30) -> dict:
    """Per-category counts and median response times (hours) over the last ``days``."""
    since = timezone.now() - dt.timedelta(days=days)
    rows = list(
        CivicReport.objects.visible_to(actor, Perm.VIEW_REPORT)
        .filter(created_at__gte=since, duplicate_of__isnull=True)
        .values_list("category__name", "status", "created_at", "acknowledged_at", "resolved_at")
    )
    per: dict[str, dict] = {}
    for name, status, created, acked, resolved in rows:
        f = per.setdefault(
            name, {"category": name, "total": 0, "open": 0, "closed": 0, "ack": [], "fix": []}
        )
        f["total"] += 1
        f["open" if status in OPEN_STATUSES else "closed"] += 1
        if acked:
            f["ack"].append((acked - created).total_seconds() / 3600)
        if resolved:
            f["fix"].append((resolved - created).total_seconds() / 3600)
    out = []
    for f in sorted(per.values(), key=lambda f: -f["total"]):
        f["ack_median"] = round(statistics.median(f["ack"]), 1) if f["ack"] else None
        f["fix_median"] = round(statistics.median(f["fix"]), 1) if f["fix"] else None
        del f["ack"], f["fix"]
        out.append(f)
    return {"rows": out, "total": len(rows), "days": days}


# --- configuration (MANAGE_CIVIC) ----------------------------------------------------------------
#: The category filter's value for rules and templates that cover every category.
EVERY_CATEGORY = "*"


def _by_category(qs, category: str):
    if category == EVERY_CATEGORY:
        return qs.filter(category__isnull=True)
    if category:
        return qs.filter(category__code=category)
    return qs


def routing_rules(*, actor, category: str = "", district=None):
    """The routing table in the actor's scope: by district, district-wide rules first."""
    qs = RoutingRule.objects.visible_to(actor, Perm.MANAGE_CIVIC).select_related(
        "district", "category", "area", "area__region", "handler_region"
    )
    qs = _by_category(qs, category)
    if district is not None:
        qs = qs.filter(district=district)
    return qs.order_by(
        "district__path",
        F("area__code").asc(nulls_first=True),
        F("category__sort").asc(nulls_first=True),
        "category__code",
        "id",
    )


def access_rule(actor, pk: int) -> RoutingRule:
    return access(RoutingRule, actor, Perm.MANAGE_CIVIC, pk=pk)


def response_templates(*, actor, category: str = "", status: str = "", region=None):
    """Response templates in the actor's scope; ``region`` narrows to it and below."""
    qs = ResponseTemplate.objects.visible_to(actor, Perm.MANAGE_CIVIC).select_related(
        "region", "category"
    )
    qs = _by_category(qs, category)
    if status in Status.values:
        qs = qs.filter(status=status)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs.order_by("-is_active", "region__path", "status", "title", "id")


def access_template(actor, pk: int) -> ResponseTemplate:
    return access(ResponseTemplate, actor, Perm.MANAGE_CIVIC, pk=pk)


def api_clients(*, actor):
    """Open311 integrations in the actor's scope: keys in use first, newest first."""
    return (
        ApiClient.objects.visible_to(actor, Perm.MANAGE_CIVIC)
        .select_related("region", "created_by")
        .order_by("-is_active", "-created_at", "-id")
    )


def access_api_client(actor, pk: int) -> ApiClient:
    return access(ApiClient, actor, Perm.MANAGE_CIVIC, pk=pk)


# --- report categories (global) ------------------------------------------------------------------
def categories_region():
    """The region whose MANAGE_CIVIC holders keep the report categories: the deployment's
    region (``settings.HOME_REGION``). Categories are global, so a grant on one district is not
    enough; a grant at or above the deployment's region is. None when it is not loaded."""
    return Region.objects.filter(code=settings.HOME_REGION).first()


def may_manage_categories(actor) -> bool:
    """Remembered on the account for the request, like its grants (``User.active_grants``)."""
    memo = getattr(actor, "_wb_keeps_categories", None)
    if memo is not None and memo[0] == settings.HOME_REGION:
        return memo[1]
    region = categories_region()
    keeps = region is not None and has_perm(actor, Perm.MANAGE_CIVIC, region)
    if getattr(actor, "is_authenticated", False):
        actor._wb_keeps_categories = (settings.HOME_REGION, keeps)
    return keeps


def category_list(*, actor):
    """Every category, in use first, each marked whether reports use it (its code then stays)."""
    if not may_manage_categories(actor):
        return Category.objects.none()
    used = CivicReport.objects.unscoped(reason="is the category in use").filter(
        category_id=OuterRef("pk")
    )
    return Category.objects.annotate(in_reports=Exists(used)).order_by("-is_active", "sort", "code")


def access_category(actor, pk: int) -> Category:
    """One category for someone who may manage them; otherwise 404, as for a missing one."""
    if not may_manage_categories(actor):
        raise NotFound(_("Not found."))
    try:
        return Category.objects.get(pk=pk)
    except (Category.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Not found.")) from None
