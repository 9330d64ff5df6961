"""The staff queue of correction and deletion requests (R27) and approved exports (R29)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.accounts.services import require_recent_auth
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.views import attach_error, console_required

from . import selectors, services
from .forms import ExportDecisionForm, ExportRequestForm
from .models import ExportKind, ExportStatus, RequestStatus


@console_required(Perm.HANDLE_DATA_REQUEST)
def request_queue(request):
    status = request.GET.get("status", RequestStatus.OPEN)
    if status not in (*RequestStatus.values, ""):
        status = RequestStatus.OPEN
    qs = selectors.data_request_queue(actor=request.user, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/console_requests.html",
        {"page": page, "status": status, "statuses": RequestStatus.choices, "now": timezone.now()},
    )


@require_POST
@console_required(Perm.HANDLE_DATA_REQUEST)
def request_handle(request, pk: int):
    try:
        item = selectors.access_data_request(request.user, pk)
        services.data_request_handle(
            actor=request.user,
            request=item,
            status=request.POST.get("status", ""),
            response=request.POST.get("response", ""),
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The request has been answered and the worker told."))
    return redirect("privacy:console_requests")


# --- approved full personal-data exports (R29) ----------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _exports_or_404(actor) -> None:
    if not selectors.can_use_exports(actor):
        raise Http404


def _export_or_404(actor, pk: int):
    try:
        return selectors.access_export_request(actor, pk)
    except NotFound:
        raise Http404 from None


@console_required(Perm.CONSOLE)
def export_list(request):
    actor = request.user
    _exports_or_404(actor)
    status = request.GET.get("status", "")
    if status not in ExportStatus.values:
        status = ""
    qs = selectors.export_request_list(actor=actor, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/console_exports.html",
        {"page": page, "status": status, "statuses": ExportStatus.choices},
    )


@console_required(Perm.EXPORT_PI)
def export_new(request):
    actor = request.user
    initial = {"filters": services.clean_filters(request.GET.urlencode())}
    form = ExportRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.export_request(
                actor=actor,
                kind=ExportKind.WORKERS_ROSTER,
                filters=form.cleaned_data["filters"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, _("Your request is waiting for a second person to approve."))
            return redirect("privacy:console_export_detail", pk=item.pk)
    filters = form["filters"].value() or ""
    return render(
        request,
        "privacy/console_export_new.html",
        {"form": form, "filters": services.safe_filters(filters)},
    )


@never_cache
@console_required(Perm.CONSOLE)
def export_detail(request, pk: int):
    actor = request.user
    _exports_or_404(actor)
    item = _export_or_404(actor, pk)
    mine = item.requested_by_id == actor.pk
    context = {
        "item": item,
        "filters": services.safe_filters(item.filters),
        "mine": mine,
        "can_decide": (
            not mine
            and item.status == ExportStatus.PENDING
            and has_perm(actor, Perm.APPROVE_EXPORT, item.region)
        ),
        "can_download": (
            mine
            and item.status == ExportStatus.APPROVED
            and item.expires_at is not None
            and item.expires_at > timezone.now()
        ),
        "decision_form": ExportDecisionForm(),
    }
    return render(request, "privacy/console_export_detail.html", context)


@require_POST
@console_required(Perm.APPROVE_EXPORT)
def export_decide(request, pk: int):
    """Approve or reject; a refusal by the rules (your own request, already decided) is the
    error page with its status (403, 409)."""
    actor = request.user
    item = _export_or_404(actor, pk)
    form = ExportDecisionForm(request.POST)
    if not form.is_valid():
        raise DomainError(_("Choose approve or reject."), field="decision")
    note = form.cleaned_data["note"]
    if form.cleaned_data["decision"] == "approve":
        services.export_approve(actor=actor, request=item, note=note)
        messages.success(request, _("Approved: the file is ready for the person who asked."))
    else:
        services.export_reject(actor=actor, request=item, note=note)
        messages.success(request, _("The request has been rejected."))
    return redirect("privacy:console_export_detail", pk=item.pk)


@never_cache
@console_required(Perm.EXPORT_PI)
def export_download(request, pk: int):
    """The approved file, to the requester only, after a recent password confirmation."""
    actor = request.user
    item = _export_or_404(actor, pk)
    services.export_check_download(actor=actor, request=item)
    require_recent_auth(request)
    content, filename = services.export_download(actor=actor, request=item)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
