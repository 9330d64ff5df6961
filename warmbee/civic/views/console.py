"""Staff pages: the queue with a map and overdue highlighting, a report with its actions
(templated responses, photo of the fix, duplicates nearby), and the figures by category.

Scope: ``VIEW_REPORT`` to see (community, district, city, province officers), ``HANDLE_REPORT``
over the report's region to act. Outside scope: 404. Holders of ``MANAGE_CIVIC`` find the
configuration pages (``views/config.py``) linked from the queue.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core.errors import DomainError
from warmbee.core.maps import map_config, to_display
from warmbee.core.views import console_required

from .. import selectors, services
from ..models import CivicReport, Status
from ..services import TRANSITIONS

PAGE_SIZE = 30
ACTIONS = {
    Status.ACKNOWLEDGED: gettext_lazy("Acknowledge"),
    Status.IN_PROGRESS: gettext_lazy("Start work"),
    Status.RESOLVED: gettext_lazy("Mark fixed"),
    Status.REJECTED: gettext_lazy("Reject"),
    Status.DUPLICATE: gettext_lazy("Mark duplicate"),
}


@console_required(Perm.VIEW_REPORT)
def queue(request):
    status = request.GET.get("status", "open")
    category = request.GET.get("category", "")
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.staff_reports(
        actor=request.user, status=status, category=category, overdue=overdue
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    markers = []
    for r in page:
        late = selectors.is_overdue(r, now)
        rows.append({"report": r, "overdue": late})
        lat, lng = to_display(float(r.lat), float(r.lng))
        markers.append(
            {
                "lat": lat,
                "lng": lng,
                "title": f"{r.category.name} · {r.get_status_display()}",
                "url": reverse("civic:console_report", args=[r.code]),
                "tier": 1 if late else 3,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "markers": markers,
        "map_config": map_config(),
        "status": status,
        "category": category,
        "overdue": overdue,
        "statuses": [("open", _("Open"))] + list(Status.choices),
        "categories": selectors.categories(),
        "can_manage": has_perm(request.user, Perm.MANAGE_CIVIC),
        "can_manage_categories": selectors.may_manage_categories(request.user),
    }
    return render(request, "civic/console_queue.html", context)


@console_required(Perm.VIEW_REPORT)
def report_detail(request, code):
    report = selectors.access_report(request.user, code)
    can_handle = has_perm(request.user, Perm.HANDLE_REPORT, report.region)
    actions = [(to, ACTIONS[to]) for to in TRANSITIONS[report.status] if to in ACTIONS]
    near = services.near_duplicates(
        category=report.category,
        lat=report.lat,
        lng=report.lng,
        exclude=report,
        now=report.created_at,
    )
    context = {
        "report": report,
        "overdue": selectors.is_overdue(report),
        "events": list(report.events.select_related("actor")),
        "photos": list(report.photos.all()),
        "actions": actions if can_handle else [],
        "templates": selectors.templates_for(request.user, report),
        "near": near,
        "co_reporters": report.duplicates.count(),
        "map_config": map_config(),
        "markers": [
            dict(zip(("lat", "lng"), to_display(float(report.lat), float(report.lng)), strict=True))
            | {"title": report.category.name}
        ],
    }
    return render(request, "civic/console_report.html", context)


@console_required(Perm.VIEW_REPORT)
@require_POST
def report_act(request, code):
    report = selectors.access_report(request.user, code)
    to = request.POST.get("to", "")
    original = None
    if to == Status.DUPLICATE:
        original = (
            CivicReport.objects.visible_to(request.user, Perm.VIEW_REPORT)
            .filter(code=request.POST.get("duplicate_of", "").strip())
            .first()
        )
    try:
        services.report_transition(
            actor=request.user,
            report=report,
            to=to,
            note=request.POST.get("note", ""),
            duplicate_of=original,
            fix_photo=request.FILES.get("fix_photo"),
        )
    except DomainError as exc:
        if exc.status != 400:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved. The reporter has been told."))
    return redirect(reverse("civic:console_report", args=[report.code]))


@console_required(Perm.VIEW_REPORT)
def figures(request):
    try:
        days = min(365, max(1, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    return render(
        request, "civic/console_figures.html", selectors.figures(actor=request.user, days=days)
    )
