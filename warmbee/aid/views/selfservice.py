"""The worker's aid pages (mobile first): open programmes, apply, my applications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.core.errors import DomainError, NotFound
from warmbee.core.uploads import image_response
from warmbee.core.views import action_post, attach_error
from warmbee.workers.models import Worker

from .. import eligibility, selectors, services
from ..choices import AppStatus
from ..forms import ApplicationForm
from ..models import AidEvidence


def _my_worker(user):
    return (
        Worker.objects.unscoped(reason="the person's own record")
        .select_related("region")
        .filter(user=user)
        .first()
    )


@never_cache
@login_required
def programmes(request):
    worker = _my_worker(request.user)
    rows = []
    if worker is not None:
        mine = {a.programme_id for a in selectors.my_applications(request.user)}
        for p in selectors.open_programmes_for(worker):
            rows.append(
                {"programme": p, "applied": p.pk in mine, "unmet": eligibility.unmet(worker, p)}
            )
    return render(
        request,
        "aid/me_programmes.html",
        {
            "worker": worker,
            "rows": rows,
            "applications": selectors.my_applications(request.user),
        },
    )


@never_cache
@login_required
def apply(request, pk: int):
    worker = _my_worker(request.user)
    if worker is None:
        raise NotFound(_("Not found."))
    programme = selectors.access_open_programme(worker, pk)
    form = ApplicationForm(request.POST or None, request.FILES or None, programme=programme)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                application = services.application_submit(
                    actor=request.user,
                    programme=programme,
                    worker=worker,
                    answers=form.answers(),
                    files=form.files_by_key(),
                    consent_financial=form.cleaned_data.get("consent_financial", False),
                    consent_child=form.cleaned_data.get("consent_child", False),
                    amount_fen=form.cleaned_data.get("amount"),
                )
            except DomainError as exc:
                if exc.status == 404:
                    raise
                attach_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Your application has been sent."))
                return redirect("aid:me_application", pk=application.pk)
        else:
            status = 400
    return render(
        request,
        "aid/me_apply.html",
        {"programme": programme, "form": form, "unmet": eligibility.unmet(worker, programme)},
        status=status,
    )


@never_cache
@login_required
def application(request, pk: int):
    item = selectors.access_my_application(request.user, pk)
    detail = selectors.application_detail(item)
    return render(
        request,
        "aid/me_application.html",
        {
            "item": item,
            "steps": detail["steps"],
            "evidence": detail["evidence"],
            "entry": detail["entry"],
            "can_resubmit": item.status == AppStatus.RETURNED,
            "can_appeal": item.status == AppStatus.REJECTED and not item.appealed,
        },
    )


@require_POST
@login_required
def application_act(request, pk: int, action: str):
    item = selectors.access_my_application(request.user, pk)
    note = request.POST.get("note", "")
    to = reverse("aid:me_application", args=[item.pk])
    if action == "appeal":
        return action_post(
            request,
            lambda: services.application_appeal(actor=request.user, application=item, reason=note),
            done=_("Your appeal has been sent."),
            to=to,
        )
    return action_post(
        request,
        lambda: services.application_resubmit(
            actor=request.user, application=item, files=dict(request.FILES.items()), note=note
        ),
        done=_("Your application has been sent again."),
        to=to,
    )


@login_required
def evidence(request, pk: int):
    try:
        row = AidEvidence.objects.unscoped(reason="the person's own evidence").get(pk=pk)
    except (AidEvidence.DoesNotExist, ValueError):
        raise NotFound(_("Not found.")) from None
    selectors.access_my_application(request.user, row.application_id)
    return image_response(row.image)
