"""The reporter's phone pages: the report form (pin, photos, category questions), the
near-duplicate suggestions, "my reports" with confirm / reopen, and the access-checked photos.

Anonymous reports are allowed (stricter limits, R35). Every POST carries a client-generated
idempotency key (R38): a retry shows the first report again.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from warmbee.core.errors import DomainError
from warmbee.core.maps import map_config
from warmbee.core.net import client_ip
from warmbee.core.uploads import image_response

from .. import selectors, services
from ..models import Category, CivicReport, Status


def _input_name(category: Category, code: str) -> str:
    """A question's input on the phone form: per category, so two categories may share a code."""
    return f"q-{category.code}-{code}"


def _answers(request, category: Category | None) -> dict:
    if category is None:
        return {}
    out = {}
    for q in category.questions:
        key = _input_name(category, q["code"])
        if q.get("datatype") == "multivaluelist":
            out[q["code"]] = request.POST.getlist(key)
        else:
            out[q["code"]] = request.POST.get(key, "")
    return out


def _question_groups(cats, request, errors: dict) -> list[dict]:
    """Each category's extra questions as the form shows them, with what was sent and the
    error on each (``clean_answers`` names the field ``attribute[code]``, as Open311 does)."""
    groups = []
    chosen = request.POST.get("category") if request.method == "POST" else None
    for c in cats:
        questions = []
        for q in sorted(c.questions, key=lambda q: q.get("order", 0)):
            name = _input_name(c, q["code"])
            is_chosen = c.code == chosen
            questions.append(
                {
                    **q,
                    "name": name,
                    "value": request.POST.get(name, "") if is_chosen else "",
                    "values_sent": request.POST.getlist(name) if is_chosen else [],
                    "error": errors.get(f"attribute[{q['code']}]") if is_chosen else None,
                }
            )
        if questions:
            groups.append({"category": c, "questions": questions})
    return groups


def _named(exc: DomainError, category: Category | None) -> str:
    """The message, led by the question it is about when it is about one."""
    for q in category.questions if category else ():
        if exc.field == f"attribute[{q['code']}]":
            return _("%(question)s: %(message)s") % {
                "question": q.get("description") or q["code"],
                "message": exc.message,
            }
    return str(exc.message)


def report_form(request):
    cats = selectors.categories()
    errors: dict[str, str] = {}
    values = {"idempotency_key": uuid.uuid4().hex, "category": request.GET.get("category", "")}
    if request.method == "POST":
        values = request.POST.dict()
        category = next((c for c in cats if c.code == request.POST.get("category")), None)
        photos = request.FILES.getlist("photo")
        try:
            if category is None:
                raise DomainError(_("Choose what you are reporting."), field="category")
            if not photos:
                raise DomainError(_("Add at least one photo."), field="photo")
            intake = services.report_submit(
                actor=request.user,
                category=category,
                lat=request.POST.get("lat", ""),
                lng=request.POST.get("lng", ""),
                description=request.POST.get("description", ""),
                answers=_answers(request, category),
                photos=photos,
                idempotency_key=request.POST.get("idempotency_key", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            if exc.status not in (400,):
                raise
            errors[exc.field or "__all__"] = _named(exc, category)
        else:
            return redirect(reverse("civic:report_sent", args=[intake.report.code]))
    context = {
        "categories": cats,
        "question_groups": _question_groups(cats, request, errors),
        "errors": errors,
        "values": values,
        "map_config": map_config(),
        "nearby_url": reverse("civic:nearby"),
    }
    status = 400 if errors else 200
    return render(request, "civic/report.html", context, status=status)


@require_GET
def report_sent(request, code):
    """The thank-you page. Shows only what the report page showed: category, status, body."""
    report = (
        CivicReport.objects.public()
        .select_related("category", "duplicate_of")
        .filter(code=code)
        .first()
    ) or selectors.own_report(request.user, code)
    return render(request, "civic/sent.html", {"report": report})


@require_GET
def nearby(request):
    """Near-duplicates for a pin (same category, 50 m, 1 hour): code, status, distance, time —
    no reporter, no exact spot."""
    category = Category.objects.filter(code=request.GET.get("category", ""), is_active=True).first()
    try:
        lat = services.parse_coordinate(request.GET.get("lat"), field="lat", low=-90, high=90)
        lng = services.parse_coordinate(request.GET.get("lng"), field="lng", low=-180, high=180)
    except DomainError as exc:
        return JsonResponse({"error": exc.as_dict()}, status=400)
    if category is None:
        return JsonResponse({"items": []})
    items = [
        {
            "code": r.code,
            "status": Status(r.status).label,
            "distance_m": round(r.distance),
            "created_at": r.created_at.isoformat(),
        }
        for r in services.near_duplicates(category=category, lat=lat, lng=lng)[:5]
    ]
    return JsonResponse({"items": items})


@login_required
def my_reports(request):
    reports = list(selectors.own_reports(request.user)[:100])
    return render(request, "civic/mine.html", {"reports": reports})


@login_required
def my_report(request, code):
    report = selectors.own_report(request.user, code)
    return render(
        request,
        "civic/my_report.html",
        {
            "report": report,
            "events": list(report.events.all()),
            "photos": list(report.photos.all()),
            "can_answer": report.status == Status.RESOLVED,
        },
    )


@login_required
@require_POST
def my_report_answer(request, code):
    """The reporter answers "is it really fixed?": confirm or reopen."""
    report = selectors.own_report(request.user, code)
    to = Status.CONFIRMED if request.POST.get("answer") == "fixed" else Status.REOPENED
    try:
        services.report_transition(
            actor=request.user, report=report, to=to, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        if exc.status != 400:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Thank you for confirming.") if to == Status.CONFIRMED else _("Report reopened."),
        )
    return redirect(reverse("civic:my_report", args=[report.code]))


@require_GET
def photo(request, pk: int):
    item = selectors.photo_for(request.user, pk)
    return image_response(item.image)
