"""The registry console: worker list and detail, audited reveal, coverage figures.

Thin views (STYLE.md): reads through ``workers.selectors``/``coverage``, writes through
``workers.services``. A worker outside the actor's scope is 404. Personal values are masked in
every template; the one unmasked response is the reveal, sent with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, grant_paths, has_perm
from warmbee.accounts.services import require_recent_auth
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.views import attach_error, console_required
from warmbee.regions.models import Region

from .. import coverage, selectors, services
from ..forms import RECORD_FORMS, RevealForm, WorkerFilterForm, WorkerForm

PAGE_SIZE = 50


def _worker_or_404(actor, pk: int):
    try:
        return selectors.access_worker(actor, pk)
    except NotFound:
        raise Http404 from None


@console_required(Perm.VIEW_WORKER)
def worker_list(request):
    actor = request.user
    form = WorkerFilterForm(request.GET or None, actor=actor)
    workers = selectors.worker_list(actor=actor, filters=form.filters())
    page = Paginator(workers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": request.GET.urlencode(),
        "can_export_pi": has_perm(actor, Perm.EXPORT_PI),
        "can_manage": has_perm(actor, Perm.MANAGE_WORKER),
    }
    template = "workers/console_list.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, context)


@never_cache
@console_required(Perm.VIEW_WORKER)
def worker_detail(request, pk: int):
    actor = request.user
    worker = _worker_or_404(actor, pk)
    context = {
        "worker": worker,
        "records": selectors.worker_records(actor=actor, worker=worker),
        "duplicates": selectors.duplicates_of(actor=actor, worker=worker),
        "can_reveal": has_perm(actor, Perm.REVEAL_PI, worker.region),
        "can_manage": has_perm(actor, Perm.MANAGE_WORKER, worker.region),
        "reveal_form": RevealForm(),
    }
    return render(request, "workers/console_detail.html", context)


@never_cache
@require_POST
@console_required(Perm.VIEW_WORKER)
def worker_reveal(request, pk: int):
    """The full mobile or ID number, in place of the masked one (an htmx swap)."""
    actor = request.user
    worker = _worker_or_404(actor, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return HttpResponse(format_html('<span class="error">{}</span>', message), status=400)
    try:
        require_recent_auth(request)
        value = services.worker_reveal(
            actor=actor,
            worker=worker,
            field=form.cleaned_data["field"],
            reason=form.cleaned_data["reason"],
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        if exc.code == "reauth_required":
            message = format_html(
                '{} <a href="{}?next={}">{}</a>',
                exc.message,
                reverse("accounts:reauth"),
                reverse("workers:console_detail", args=[worker.pk]),
                _("Confirm your password"),
            )
        else:
            message = format_html("{}", exc.message)
        return HttpResponse(
            format_html('<span class="error">{}</span>', message), status=exc.status
        )
    return HttpResponse(format_html('<strong class="revealed">{}</strong>', value))


def _coverage_region(actor, code: str | None) -> Region:
    paths = grant_paths(actor, Perm.VIEW_COVERAGE)
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or not any(region.path.startswith(p) for p in paths):
            raise Http404
        return region
    return Region.objects.get(path=paths[0])


@console_required(Perm.VIEW_COVERAGE)
def coverage_page(request):
    actor = request.user
    region = _coverage_region(actor, request.GET.get("region"))
    by = "company" if request.GET.get("by") == "company" else "region"
    rows = coverage.coverage(actor=actor, region=region, by=by)
    ancestors = [r for r in _chain(region) if has_perm(actor, Perm.VIEW_COVERAGE, r)]
    return render(
        request,
        "workers/console_coverage.html",
        {
            "region": region,
            "rows": rows[:-1],
            "total": rows[-1],
            "by": by,
            "ancestors": ancestors,
            "as_of": coverage.as_of(actor=actor),
        },
    )


def _chain(region: Region) -> list[Region]:
    chain, node = [], region
    while node is not None and node.level != "country":
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


LEDGERS = ("members", "applicants", "organisations")


@console_required(Perm.VIEW_PARTY)
def party_ledgers(request):
    ledger = request.GET.get("ledger")
    ledger = ledger if ledger in LEDGERS else "members"
    page = Paginator(selectors.party_ledger(actor=request.user, ledger=ledger), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "workers/console_party.html", {"ledger": ledger, "page": page})


@never_cache
@console_required(Perm.MANAGE_WORKER)
def worker_create(request):
    """Staff enter one worker (a roster is for many); scoped and audited by the service."""
    form = WorkerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            worker = services.worker_create(
                actor=request.user,
                name=data["name"],
                phone=data["phone"],
                company=data["company"],
                outlet=data["outlet"],
                kind=data["kind"],
                employee_no=data["employee_no"],
                started_on=data["started_on"],
            )
        except DomainError as exc:
            attach_error(form, exc, {"region": "outlet"})
        else:
            return redirect("workers:console_detail", pk=worker.pk)
    return render(request, "workers/console_form.html", {"form": form, "worker": None})


@never_cache
@console_required(Perm.MANAGE_WORKER)
def worker_edit(request, pk: int):
    """Correct a worker's record; a new outlet is a move (the old spell ends)."""
    actor = request.user
    try:
        worker = selectors.access_worker(actor, pk, Perm.MANAGE_WORKER)
    except NotFound:
        raise Http404 from None
    form = WorkerForm(request.POST or None, worker=worker)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                changes = {
                    k: data[k] for k in ("name", "phone", "kind", "employee_no", "started_on")
                }
                worker = services.worker_update(actor=actor, worker=worker, **changes)
                if (data["company"].pk, data["outlet"].pk) != (worker.company_id, worker.outlet_id):
                    services.worker_move(
                        actor=actor, worker=worker, company=data["company"], outlet=data["outlet"]
                    )
        except DomainError as exc:
            attach_error(form, exc, {"region": "outlet"})
        else:
            return redirect("workers:console_detail", pk=worker.pk)
    return render(request, "workers/console_form.html", {"form": form, "worker": worker})


@never_cache
@console_required(Perm.MANAGE_WORKER)
def worker_record_add(request, pk: int, kind: str):
    """Record a union membership or its end, an insurance enrolment or its end, a certificate
    or an honour (``forms.RECORD_FORMS``)."""
    actor = request.user
    if kind not in RECORD_FORMS:
        raise Http404
    try:
        worker = selectors.access_worker(actor, pk, Perm.MANAGE_WORKER)
    except NotFound:
        raise Http404 from None
    form_class, title = RECORD_FORMS[kind]
    form = form_class(request.POST or None, actor=actor, worker=worker)
    if request.method == "POST" and form.is_valid():
        try:
            form.save(actor=actor, worker=worker)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("workers:console_detail", pk=worker.pk)
    context = {"form": form, "worker": worker, "title": title}
    return render(request, "workers/console_record_form.html", context)


@never_cache
@console_required(Perm.MANAGE_WORKER)
def certificate_edit(request, pk: int, cert_pk: int):
    """Correct a recorded certificate (the subsidy once it is paid, a typo in the number)."""
    from ..forms import CertificateForm
    from ..models import Certificate

    actor = request.user
    try:
        worker = selectors.access_worker(actor, pk, Perm.MANAGE_WORKER)
        cert = access(Certificate, actor, Perm.MANAGE_WORKER, pk=cert_pk, worker=worker)
    except NotFound:
        raise Http404 from None
    initial = {"subsidy_yuan": cert.subsidy_fen / 100 if cert.subsidy_fen else None}
    form = CertificateForm(
        request.POST or None, actor=actor, worker=worker, instance=cert, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_update(
                actor=actor, worker=worker, certificate_id=cert.pk, **form.cleaned_data
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            return redirect("workers:console_detail", pk=worker.pk)
    context = {"form": form, "worker": worker, "title": _("Correct a certificate")}
    return render(request, "workers/console_record_form.html", context)
