"""The worker's own pages: register, log in with a code, my data, my privacy, my requests."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.accounts.services import login_record
from warmbee.audit.services import record
from warmbee.core.errors import DomainError
from warmbee.core.net import client_ip
from warmbee.core.views import attach_error
from warmbee.orgs.selectors import employer_choices, outlet_choices
from warmbee.privacy import services as privacy
from warmbee.privacy.models import DataRequest, Purpose

from .. import mydata, registration
from ..models import Worker
from ..selfservice_forms import CodeLoginForm, DataRequestForm, RegisterForm

BACKEND = "warmbee.accounts.auth.PhoneBackend"


def _send(request, form, send):
    """Send a code for the number in ``form``; errors land on the form."""
    try:
        send(request=request, phone=form.data.get("phone", ""), ip=client_ip(request))
    except DomainError as exc:
        attach_error(form, exc)
        return exc.status
    messages.success(request, _("A code has been sent to your mobile. It is valid for 5 minutes."))
    return 200


@never_cache
def register(request):
    if request.user.is_authenticated:
        return redirect("workers:me_data")
    form = RegisterForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "send":
            status = _send(request, form, registration.registration_send_code)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                user = registration.worker_register(
                    request=request,
                    name=data["name"],
                    phone=data["phone"],
                    company=data["company"],
                    outlet=data["outlet"],
                    kind=data["kind"],
                    code=data["code"],
                    agreed=data["agree"],
                )
            except DomainError as exc:
                attach_error(form, exc)
                status = exc.status
            else:
                login(request, user, backend=BACKEND)
                login_record(request=request, user=user)
                messages.success(request, _("Welcome! You are registered."))
                return redirect("workers:me_data")
        else:
            status = 400
    notice = privacy.current_notice(Purpose.REGISTRY)
    return render(
        request, "workers/self_register.html", {"form": form, "notice": notice}, status=status
    )


def register_outlets(request):
    """The outlet choices of a company (htmx), no personal data."""
    company = employer_choices().filter(pk=request.GET.get("company") or 0).first()
    outlets = outlet_choices(company) if company else []
    html = render_to_string("workers/_outlet_options.html", {"outlets": outlets})
    return HttpResponse(html)


@never_cache
def code_login(request):
    form = CodeLoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "send":
            status = _send(request, form, registration.code_login_send)
        else:
            try:
                user = registration.code_login(
                    request=request,
                    phone=form.data.get("phone", ""),
                    code=form.data.get("code", ""),
                )
            except DomainError as exc:
                attach_error(form, exc)
                status = exc.status
            else:
                login(request, user, backend=BACKEND)
                login_record(request=request, user=user)
                return redirect("core:home")
    return render(request, "workers/self_code_login.html", {"form": form}, status=status)


@never_cache
@login_required
def me_data(request):
    user = request.user
    worker = Worker.objects.unscoped(reason="the person's own record").filter(user=user).first()
    return render(
        request,
        "workers/self_data.html",
        {"worker": worker, "tables": mydata.collect(user)},
    )


@never_cache
@login_required
def me_data_download(request, fmt: str):
    user = request.user
    record(
        actor=user,
        action="privacy.download",
        target=user,
        region=user.region,
        changes={"format": [None, fmt]},
    )
    if fmt == "json":
        response = HttpResponse(
            mydata.as_json(user), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(mydata.as_csv(user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-warmbee-data.{fmt}"'
    return response


@never_cache
@login_required
def me_privacy(request):
    user = request.user
    purposes = []
    for value, label in Purpose.choices:
        notice = privacy.current_notice(value)
        if notice is None:
            continue
        consent = privacy.live_consent(user, value)
        purposes.append(
            {
                "purpose": value,
                "label": label,
                "notice": notice,
                "consent": consent,
                "outdated": consent is not None and consent.notice_id != notice.pk,
            }
        )
    return render(request, "workers/self_privacy.html", {"purposes": purposes})


@require_POST
@login_required
def me_privacy_change(request):
    purpose = request.POST.get("purpose", "")
    try:
        if request.POST.get("action") == "withdraw":
            privacy.consent_withdraw(actor=request.user, user=request.user, purpose=purpose)
            messages.success(request, _("Your consent has been withdrawn."))
        else:
            privacy.consent_give(actor=request.user, user=request.user, purpose=purpose)
            messages.success(request, _("Thank you: your consent is recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("workers:me_privacy")


@never_cache
@login_required
def me_requests(request):
    form = DataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.data_request_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            messages.success(
                request, _("Your request has been sent. You will be told the outcome.")
            )
            return redirect("workers:me_requests")
    own = (
        DataRequest.objects.unscoped(reason="the person's own requests")
        .filter(user=request.user)
        .order_by("-created_at")
    )
    return render(request, "workers/self_requests.html", {"form": form, "requests": own})
