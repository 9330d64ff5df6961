"""The pages of a background import: progress, report, errors file, resume (R41).

A job is shown only to the person who uploaded it; anyone else gets 404 (R1)."""

from __future__ import annotations

import codecs
import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmbee.accounts.scoping import has_perm
from warmbee.audit.services import record

from . import import_jobs, tabular
from .errors import DomainError
from .models import ImportJob

#: Row errors shown on the page; all of them (up to IMPORT_MAX_REPORTED_ERRORS) are in the CSV.
ERRORS_SHOWN = 200


def start_import(request, *, kind: str, upload, mode: str, dry_run: bool):
    """Store the upload as a job, run or queue it, and send the officer to its page."""
    job = import_jobs.create(
        actor=request.user, kind=kind, upload=upload, mode=mode, dry_run=dry_run
    )
    record(
        actor=request.user,
        action="import.start",
        target=job,
        changes={"kind": [None, kind], "mode": [None, mode], "dry_run": [None, dry_run]},
        reason=job.file_name,
    )
    import_jobs.start(job)
    return redirect("core:import_job", pk=job.pk)


def upload_page(request, *, importer, template: str):
    """An import's upload page: the form, then (valid) the job's page. Callers check the
    permission (``console_required(importer.perm)``)."""
    from .forms import ImportForm
    from .views import attach_error

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            return start_import(
                request,
                kind=importer.kind,
                upload=data["file"],
                mode=data["mode"],
                dry_run=data["dry_run"],
            )
        except DomainError as exc:
            attach_error(form, exc)
    columns = importer.layout.columns
    return render(request, template, {"form": form, "report": None, "columns": columns})


def _staff(request) -> None:
    if not any(
        has_perm(request.user, import_jobs.importer_class(kind).perm)
        for kind in import_jobs.IMPORTERS
    ):
        raise Http404


def _own_job(request, pk: int) -> ImportJob:
    _staff(request)
    try:
        return ImportJob.objects.get(pk=pk, created_by=request.user)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def _context(job: ImportJob) -> dict:
    importer = import_jobs.importer_class(job.kind)
    report = import_jobs.report(job) if job.finished else None
    return {
        "job": job,
        "report": report,
        "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
        "errors_url": reverse("core:import_job_errors", args=[job.pk]),
        "title": importer.title,
        "back_url": reverse(importer.page),
        "stale": import_jobs.is_stale(job),
    }


@login_required
def job_list(request):
    _staff(request)
    jobs = ImportJob.objects.filter(created_by=request.user)[:50]
    rows = [(job, import_jobs.importer_class(job.kind).title) for job in jobs]
    return render(request, "core/import_jobs.html", {"rows": rows})


@login_required
def job_detail(request, pk: int):
    """The job's progress (polled by htmx while it runs) and, at the end, its report."""
    job = _own_job(request, pk)
    template = "core/_import_job.html" if request.htmx else "core/import_job.html"
    return render(request, template, _context(job))


@login_required
def job_errors(request, pk: int):
    job = _own_job(request, pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Row"), _("Column"), _("Message")])
    for row, column, message in job.errors:
        writer.writerow([row, tabular.neutralise(column), tabular.neutralise(message)])
    response = HttpResponse(
        codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8"), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def job_resume(request, pk: int):
    """Resume a job whose worker stopped (the heartbeat is stale)."""
    from .tasks import run_import_job

    job = _own_job(request, pk)
    if not import_jobs.is_stale(job):
        raise DomainError(_("This import is not stopped."), code="not_stale")
    record(actor=request.user, action="import.resume", target=job, reason=job.file_name)
    run_import_job.enqueue(job.pk)
    return redirect("core:import_job", pk=job.pk)
