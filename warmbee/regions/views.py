"""The officers' console for grid areas: the list with a map, and the GeoJSON import.

Thin views (STYLE.md): reads through ``regions.selectors``, the import through
``regions.services.grid_import``. Scope is never filtered here.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions, has_perm
from warmbee.core.errors import DomainError
from warmbee.core.maps import map_config, to_display
from warmbee.core.views import attach_error, console_required

from . import selectors
from .forms import GridFilterForm, GridImportForm
from .services import grid_import

PAGE_SIZE = 50
# Areas drawn on the list's map at most (the filtered list, in its order).
MAP_LIMIT = 500


def _display_rings(geometry: dict) -> list:
    """Polygons → rings → [lat, lng] in the tiles' datum, for Leaflet."""
    polygons = (
        [geometry["coordinates"]] if geometry.get("type") == "Polygon" else geometry["coordinates"]
    )
    return [
        [[list(to_display(lat, lng)) for lng, lat, *_rest in ring] for ring in polygon]
        for polygon in polygons
    ]


@console_required(Perm.VIEW_GRID)
def grid_list(request):
    regions = filter_regions(request.user, Perm.VIEW_GRID)
    form = GridFilterForm(request.GET or None, regions=regions)
    qs = selectors.grid_area_list(actor=request.user, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    shapes = [
        {
            "code": area.code,
            "name": area.name,
            "community": area.region.name,
            "community_code": area.region_id,
            "polygons": _display_rings(area.geometry),
        }
        for area in qs[:MAP_LIMIT]
    ]
    return TemplateResponse(
        request,
        "regions/console_grids.html",
        {
            "form": form,
            "page": page,
            "shapes": shapes,
            "map_limited": page.paginator.count > MAP_LIMIT,
            "map_limit": MAP_LIMIT,
            "map_config": map_config(),
            "can_import": has_perm(request.user, Perm.MANAGE_GRID),
        },
    )


@console_required(Perm.MANAGE_GRID)
def grid_import_page(request):
    form = GridImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        dry_run = form.cleaned_data["dry_run"]
        try:
            if upload.size > settings.GRID_IMPORT_MAX_MB * 1024 * 1024:
                raise DomainError(
                    _("The file is larger than %(mb)s MB; split it into smaller files.")
                    % {"mb": settings.GRID_IMPORT_MAX_MB},
                    code="file_too_large",
                    field="file",
                )
            report = grid_import(actor=request.user, data=upload.read(), dry_run=dry_run)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            if report.written:
                messages.success(
                    request,
                    _("Grid areas saved: %(created)s created, %(updated)s updated.")
                    % {"created": report.created, "updated": report.updated},
                )
    return TemplateResponse(
        request,
        "regions/console_grid_import.html",
        {"form": form, "report": report, "max_mb": settings.GRID_IMPORT_MAX_MB},
        # A refused file is the client's error: 400, and nothing was written.
        status=400 if form.errors or (report is not None and report.errors) else 200,
    )
