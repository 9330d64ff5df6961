"""Roster import (Excel/CSV) for officers: template, dry run, per-row errors, upsert."""

from __future__ import annotations

import base64

from django.http import HttpResponse
from django.shortcuts import render

from warmbee.accounts.roles import Perm
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.errors import DomainError
from warmbee.core.forms import ImportForm
from warmbee.core.views import attach_error, console_required

from .. import imports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@console_required(Perm.MANAGE_WORKER)
def roster_import(request):
    actor = request.user
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            table = tabular.read_table(data["file"], imports.LAYOUT)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            importer = imports.RosterImporter(actor)
            report = tabular.run_import(
                table=table,
                form_class=imports.WorkerRowForm,
                apply_row=importer.apply_row,
                finish=importer.finish,
                mode=data["mode"],
                dry_run=data["dry_run"],
                key=imports.row_key,
                form_kwargs=importer.form_kwargs(),
            )
            if report.written:
                record(
                    actor=actor,
                    action="worker.import",
                    changes={
                        "rows": [0, report.total],
                        "created": [0, report.created],
                        "updated": [0, report.updated],
                        "errors": [0, report.failed_rows],
                    },
                    reason=data["file"].name[:200],
                )
    context = {"form": form, "report": report, "columns": imports.COLUMNS}
    if report is not None and report.errors:
        context["errors_csv"] = base64.b64encode(report.errors_csv()).decode("ascii")
    return render(request, "workers/roster_import.html", context)


@console_required(Perm.MANAGE_WORKER)
def roster_template(request):
    response = HttpResponse(tabular.template_xlsx(imports.LAYOUT), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="workers-template.xlsx"'
    return response


MAX_EXPORT_ROWS = imports.MAX_EXPORT_ROWS


@console_required(Perm.VIEW_WORKER)
def roster_export(request):
    """The filtered list as xlsx: scoped, masked, watermarked, formula-neutralised, audited."""
    from django.utils import timezone

    from warmbee.core.pi import mask_name

    from .. import selectors
    from ..forms import WorkerFilterForm

    actor = request.user
    form = WorkerFilterForm(request.GET or None, actor=actor)
    workers = selectors.worker_list(actor=actor, filters=form.filters())[:MAX_EXPORT_ROWS]
    rows = [imports.export_row(w) for w in workers]
    now = timezone.localtime()
    content = tabular.export_xlsx(
        imports.EXPORT_LAYOUT, rows, watermark=f"{mask_name(actor.name)} {now:%Y-%m-%d %H:%M}"
    )
    record(
        actor=actor,
        action="worker.export",
        changes={"rows": [0, len(rows)], "masked": [None, True]},
        reason=request.GET.urlencode()[:500],
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="workers-{now:%Y%m%d-%H%M}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
