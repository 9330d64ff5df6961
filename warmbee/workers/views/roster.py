"""Roster import (Excel/CSV) for officers: template, dry run, per-row errors, upsert."""

from __future__ import annotations

from django.http import HttpResponse

from warmbee.accounts.roles import Perm
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.import_views import upload_page
from warmbee.core.views import console_required

from .. import imports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@console_required(Perm.MANAGE_WORKER)
def roster_import(request):
    """Upload a roster; it is checked and saved as a background job (``core.import_jobs``)
    and the officer follows its progress and report on the job's page."""
    return upload_page(
        request, importer=imports.RosterImporter, template="workers/roster_import.html"
    )


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
