"""The staff pages of aid: programmes, the review queue, one application, payment lists."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.accounts.services import require_recent_auth
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.uploads import image_response
from warmbee.core.views import action_post, attach_error, console_required
from warmbee.workers.models import Worker

from .. import selectors, services
from ..choices import AppStatus, ProgrammeStatus
from ..forms import ApplicationForm, ProgrammeForm, yuan_to_fen
from ..models import AidEvidence, PaymentListStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _fen(value) -> int:
    """An amount typed in yuan, or the form's message as a broken rule (400)."""
    try:
        return yuan_to_fen(value)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), code="invalid_amount") from None


@console_required(Perm.VIEW_APPLICATION)
def programmes(request):
    actor = request.user
    items = list(selectors.programme_list(actor=actor).order_by("-opens_on", "-pk"))
    counts = {}
    for row in selectors.figures(actor=actor, programmes=items):
        c = counts.setdefault(row["programme_id"], {"applications": 0, "approvals": 0})
        c["applications"] += row["applications"]
        c["approvals"] += row["approvals"]
    queue = selectors.application_list(actor=actor).filter(
        status__in=[AppStatus.APPLIED, AppStatus.REVIEWED, AppStatus.APPROVED]
    )
    return render(
        request,
        "aid/console_programmes.html",
        {
            "rows": [(p, counts.get(p.pk, {})) for p in items],
            "queue": queue[:20],
            "can_manage": has_perm(actor, Perm.MANAGE_PROGRAMME),
        },
    )


@console_required(Perm.MANAGE_PROGRAMME)
def programme_new(request):
    form = ProgrammeForm(request.POST or None, actor=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.programme_create(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                attach_error(
                    form,
                    exc,
                    {"budget_fen": "budget", "amount_fen": "amount", "min_fen": "min_amount",
                     "eligibility": "union_months", "review_steps": "steps"},
                )  # fmt: skip
                status = exc.status
            else:
                messages.success(request, _("The programme has been created as a draft."))
                return redirect("aid:console_programme", pk=item.pk)
        else:
            status = 400
    return render(request, "aid/console_programme_new.html", {"form": form}, status=status)


@console_required(Perm.VIEW_APPLICATION)
def programme(request, pk: int):
    actor = request.user
    item = selectors.access_programme(actor, pk)
    status = request.GET.get("status", "")
    apps = selectors.application_list(actor=actor, programme=item, status=status)
    page = Paginator(apps, 50).get_page(request.GET.get("page"))
    manages = has_perm(actor, Perm.MANAGE_PROGRAMME, item.region)
    return render(
        request,
        "aid/console_programme.html",
        {
            "item": item,
            "page": page,
            "status": status,
            "statuses": AppStatus.choices,
            "preview": selectors.eligibility_preview(actor=actor, programme=item),
            "figures": selectors.figures(actor=actor, programmes=[item]),
            "manages": manages,
            "can_enter": has_perm(actor, Perm.ENTER_APPLICATION)
            and item.status == ProgrammeStatus.OPEN,
            "can_list": has_perm(actor, Perm.DISBURSE),
            "lists": selectors.payment_list_list(actor=actor, programme=item)[:10]
            if has_perm(actor, Perm.DISBURSE)
            else [],
        },
    )


@require_POST
@console_required(Perm.MANAGE_PROGRAMME)
def programme_status(request, pk: int):
    item = selectors.access_programme(request.user, pk, Perm.MANAGE_PROGRAMME)

    def save():
        if request.POST.get("budget"):
            return services.programme_set_budget(
                actor=request.user, programme=item, budget_fen=_fen(request.POST["budget"])
            )
        return services.programme_set_status(
            actor=request.user, programme=item, status=request.POST.get("status", "")
        )

    return action_post(
        request,
        save,
        done=_("Saved."),
        to=reverse("aid:console_programme", args=[item.pk]),
        shown=(400, 409),
    )


@never_cache
@console_required(Perm.ENTER_APPLICATION)
def enter(request, pk: int):
    """Staff enter an application on a worker's behalf (found by mobile number, in scope)."""
    actor = request.user
    item = selectors.access_programme(actor, pk)
    form = ApplicationForm(request.POST or None, request.FILES or None, programme=item, staff=True)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            worker = (
                Worker.objects.visible_to(actor, Perm.ENTER_APPLICATION)
                .select_related("region")
                .filter(phone=form.cleaned_data["mobile"])
                .first()
            )
            try:
                if worker is None:
                    raise DomainError(
                        _("No worker with this mobile number in your area."),
                        code="not_found",
                        field="mobile",
                    )
                app = services.application_submit(
                    actor=actor,
                    programme=item,
                    worker=worker,
                    answers=form.answers(),
                    files=form.files_by_key(),
                    consent_paper=form.cleaned_data.get("consent_paper", False),
                    amount_fen=form.cleaned_data.get("amount"),
                )
            except DomainError as exc:
                attach_error(form, exc)
                status = 400 if exc.status == 404 else exc.status
            else:
                messages.success(request, _("The application has been entered."))
                return redirect("aid:console_application", pk=app.pk)
        else:
            status = 400
    return render(
        request, "aid/console_enter.html", {"programme": item, "form": form}, status=status
    )


@never_cache
@console_required(Perm.VIEW_APPLICATION)
def application(request, pk: int):
    actor = request.user
    item = selectors.access_application(actor, pk)
    detail = selectors.application_detail(item)
    own = item.applicant_id == actor.pk or item.worker.user_id == actor.pk
    reviewers = {
        s.actor_id
        for s in detail["steps"]
        if s.round == item.round and s.action in ("review", "approve")
    }
    may_review = (
        item.status in (AppStatus.APPLIED, AppStatus.REVIEWED)
        and has_perm(actor, Perm.REVIEW_APPLICATION, item.region)
        and services.may_take_step(actor, item)
        and not own
        and item.entered_by_id != actor.pk
        and actor.pk not in reviewers
    )
    may_disburse = (
        item.status == AppStatus.APPROVED
        and has_perm(actor, Perm.DISBURSE, item.region)
        and not own
        and item.approved_by_id != actor.pk
    )
    return render(
        request,
        "aid/console_application.html",
        {
            "item": item,
            **detail,
            "may_review": may_review,
            "may_disburse": may_disburse,
            "may_withdraw_approval": services.may_withdraw_approval(actor, item),
            "may_close": item.status == AppStatus.DISBURSED
            and has_perm(actor, Perm.DISBURSE, item.region)
            and not own,
            "idempotency_key": secrets.token_urlsafe(24),
            "questions": [
                (q["label"], item.answers.get(q["key"], "—")) for q in item.programme.questions
            ],
        },
    )


ACTIONS = ("review", "approve", "return", "reject", "withdraw_approval", "disburse", "close")


@require_POST
@console_required(Perm.VIEW_APPLICATION)
def application_act(request, pk: int, action: str):
    """One review or payment step. Refusals by the rules are their pages (403 maker-checker,
    409 wrong state); a missing note is a message on the application page."""
    actor = request.user
    if action not in ACTIONS:
        raise Http404
    item = selectors.access_application(actor, pk)
    note = request.POST.get("note", "")

    def step() -> str:
        """The step through its service; returns the message that says it is done."""
        if action == "review":
            services.application_review(actor=actor, application=item, note=note)
            return _("The review step is done.")
        if action == "approve":
            amount = request.POST.get("amount")
            services.application_approve(
                actor=actor,
                application=item,
                amount_fen=_fen(amount) if amount else None,
                note=note,
            )
            return _("Approved: the amount is reserved from the budget.")
        if action == "return":
            services.application_return(actor=actor, application=item, note=note)
            return _("Returned to the applicant for more information.")
        if action == "reject":
            services.application_reject(actor=actor, application=item, reason=note)
            return _("Rejected; the applicant has been told.")
        if action == "withdraw_approval":
            services.application_withdraw_approval(actor=actor, application=item, reason=note)
            return _("The approval is withdrawn and its amount is back in the budget.")
        if action == "disburse":
            _entry, created = services.application_disburse(
                actor=actor,
                application=item,
                idempotency_key=request.POST.get("idempotency_key", ""),
                reference=request.POST.get("reference", ""),
                place=request.POST.get("place", ""),
                signature=request.FILES.get("signature"),
            )
            if created:
                return _("Paid and recorded in the ledger.")
            return _("This payment was already recorded.")
        services.application_close(actor=actor, application=item, note=note)
        return _("Closed.")

    return action_post(
        request,
        step,
        done=lambda message: message,
        to=reverse("aid:console_application", args=[item.pk]),
    )


@console_required(Perm.VIEW_APPLICATION)
def evidence(request, pk: int):
    try:
        row = AidEvidence.objects.visible_to(request.user, Perm.VIEW_APPLICATION).get(pk=pk)
    except (AidEvidence.DoesNotExist, ValueError):
        raise NotFound(_("Not found.")) from None
    return image_response(row.image)


@console_required(Perm.VIEW_AID_FIGURES)
def figures(request):
    actor = request.user
    items = list(selectors.programme_list(actor=actor, perm=Perm.VIEW_AID_FIGURES))
    rows = selectors.figures(actor=actor, programmes=items)
    return render(request, "aid/console_figures.html", {"programmes": items, "rows": rows})


@require_POST
@console_required(Perm.DISBURSE)
def payment_list_new(request, pk: int):
    item = selectors.access_programme(request.user, pk, Perm.DISBURSE)
    return action_post(
        request,
        lambda: services.payment_list_request(
            actor=request.user, programme=item, reason=request.POST.get("reason", "")
        ),
        done=_("Your request is waiting for a second person to approve."),
        to=reverse("aid:console_programme", args=[item.pk]),
    )


@require_POST
@console_required(Perm.DISBURSE)
def payment_list_approve(request, pk: int):
    item = selectors.access_payment_list(request.user, pk)
    return action_post(
        request,
        lambda: services.payment_list_approve(actor=request.user, item=item),
        done=_("Approved: the list is ready for the person who asked."),
        to=reverse("aid:console_programme", args=[item.programme_id]),
    )


@never_cache
@console_required(Perm.DISBURSE)
def payment_list_download(request, pk: int):
    item = selectors.access_payment_list(request.user, pk)
    if item.requested_by_id != request.user.pk:
        raise Http404
    if item.status == PaymentListStatus.APPROVED and item.expires_at > timezone.now():
        require_recent_auth(request)
    content, filename = services.payment_list_download(actor=request.user, item=item)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
