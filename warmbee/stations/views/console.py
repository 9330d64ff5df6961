"""The officers' console for the station network: list, map, create, edit, hosts, import, export.

Thin views (STYLE.md): every read goes through ``stations.selectors``, every write through
``stations.services``; imports and exports go through ``core.tabular``. Scope is never filtered
here: a station outside the actor's grants is 404 through ``access_station``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmbee.accounts.auth import canonical_phone
from warmbee.accounts.models import User
from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import filter_regions, has_perm
from warmbee.core import tabular
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.import_views import upload_page
from warmbee.core.maps import map_config, to_display
from warmbee.core.pi import mask_name, mask_phone
from warmbee.core.views import attach_error, console_required
from warmbee.orgs.models import Organisation

from .. import selectors, services
from ..forms import (
    CloseForm,
    HostAddForm,
    StationCreateForm,
    StationEditForm,
    StationFilterForm,
    every_day,
    same_hours_every_day,
    station_regions,
)
from ..imports import (
    EXPORT_LAYOUT,
    IMPORT_LAYOUT,
    StationImporter,
)
from ..models import (
    Station,
)

PAGE_SIZE = 50
USAGE_DAYS = 7
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers -------------------------------------------------------------------------------------
def _station_or_404(actor, code: str, perm: str = Perm.VIEW_STATION) -> Station:
    try:
        return selectors.access_station(actor, code, perm)
    except NotFound:
        raise Http404 from None


def _status_label(station: Station) -> str:
    return station.get_status_display() if station.is_active else _("Out of service")


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _filter_form(request) -> StationFilterForm:
    return StationFilterForm(
        request.GET or None, regions=filter_regions(request.user, Perm.VIEW_STATION)
    )


# --- pages ---------------------------------------------------------------------------------------
@console_required(Perm.VIEW_STATION)
def station_list(request):
    actor = request.user
    form = _filter_form(request)
    stations = selectors.station_list(actor=actor, **form.filters()).annotate(
        host_count=Count("host_links")
    )
    page = Paginator(stations, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    usage = selectors.usage_by_station(actor=actor, days=USAGE_DAYS)
    selectors.mark_open_now(rows)
    for station in rows:
        station.checkins_7d = usage.get(station.pk, 0)
    page.object_list = rows
    context = {
        "form": form,
        "page": page,
        "can_manage": has_perm(actor, Perm.MANAGE_STATION),
        "query": request.GET.urlencode(),
    }
    template = "stations/console_list.html"
    if request.htmx:
        template += "#results"
    else:
        context["districts"] = selectors.stations_per_district(actor=actor)
    return TemplateResponse(request, template, context)


@console_required(Perm.VIEW_STATION)
def station_map(request):
    actor = request.user
    form = _filter_form(request)
    usage = selectors.usage_by_station(actor=actor, days=USAGE_DAYS)
    markers = []
    for station in selectors.station_list(actor=actor, **form.filters()):
        lat, lng = to_display(station.lat, station.lng)
        checkins = usage.get(station.pk, 0)
        summary = _("%(tier)s · check-ins in 7 days: %(n)d") % {
            "tier": station.get_tier_display(),
            "n": checkins,
        }
        markers.append(
            {
                "code": station.code,
                "lat": round(lat, 6),
                "lng": round(lng, 6),
                "title": station.name,
                "url": reverse("stations:console_detail", args=[station.code]),
                "html": summary,
                "tier": station.tier,
            }
        )
    context = {"form": form, "markers": markers, "map_config": map_config()}
    return render(request, "stations/console_map.html", context)


@console_required(Perm.MANAGE_STATION)
def station_create(request):
    actor = request.user
    form = StationCreateForm(request.POST or None, regions=station_regions(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        always_open = data["always_open"]
        try:
            station = services.station_create(
                actor=actor,
                name=data["name"],
                address=data["address"],
                region=data["region"],
                lat=data["lat"],
                lng=data["lng"],
                kind=data["kind"],
                tier=data["tier"],
                host_org_name=data["host_org_name"],
                seats=data["seats"],
                phone=data["phone"],
                description=data["description"],
                is_public=data["is_public"],
                always_open=always_open,
                weekly_hours=[] if always_open else every_day(data["opens"], data["closes"]),
                amenities=[a.code for a in data["amenities"]],
            )
        except DomainError as exc:
            attach_error(form, exc, {"weekly_hours": "opens"})
        else:
            messages.success(request, _("The station is created."))
            return redirect("stations:console_detail", code=station.code)
    return render(
        request, "stations/console_create.html", {"form": form, "map_config": map_config()}
    )


@console_required(Perm.VIEW_STATION)
def station_detail(request, code: str):
    actor = request.user
    if request.method == "POST":
        station = _station_or_404(actor, code, Perm.MANAGE_STATION)
        form = StationEditForm(request.POST, regions=station_regions(actor))
        if form.is_valid():
            try:
                services.station_update(actor=actor, station=station, **form.cleaned_data)
            except DomainError as exc:
                if exc.status == 404:
                    raise Http404 from exc
                attach_error(form, exc)
            else:
                messages.success(request, _("The station is saved."))
                return redirect("stations:console_detail", code=station.code)
        can_manage = True
    else:
        station = _station_or_404(actor, code)
        can_manage = selectors.can_manage(actor, station)
        form = None
        if can_manage:
            initial = {name: getattr(station, name) for name in services.EDITABLE}
            form = StationEditForm(initial=initial, regions=station_regions(actor))
    now = timezone.now()
    schedule, _live = selectors.station_schedule(station)
    selectors.mark_open_now([station], now)
    hosts = [
        {
            "pk": link.user_id,
            "name": mask_name(link.user.name),
            "phone": mask_phone(link.user.phone),
            "since": link.since,
        }
        for link in station.host_links.select_related("user").order_by("since", "pk")
    ]
    context = {
        "station": station,
        "form": form,
        "can_manage": can_manage,
        "hosts": hosts,
        "host_form": HostAddForm(auto_id="host_%s"),
        "close_form": CloseForm(auto_id="close_%s"),
        "hours": schedule.summary(),
        "amenities": [link.amenity for link in station.amenity_links.select_related("amenity")],
        "checkins": selectors.checkins_between(
            station, now - dt.timedelta(days=USAGE_DAYS), now
        ).count(),
        "problems": selectors.feedback_for(station, open_problems=True).count(),
        "status": _status_label(station),
        "is_public_page": station.is_public and station.is_active,
        "map_config": map_config() if can_manage else None,
        "host_org_visible": station.host_org_id is not None
        and Organisation.objects.visible_to(request.user, Perm.VIEW_ORG)
        .filter(pk=station.host_org_id)
        .exists(),
    }
    return render(request, "stations/console_detail.html", context)


def _station_action(request, code: str, act):
    """Run one POSTed action on a station, then go back to its page with the outcome."""
    station = _station_or_404(request.user, code, Perm.MANAGE_STATION)
    try:
        message = act(station)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, message)
    return redirect("stations:console_detail", code=station.code)


@require_POST
@console_required(Perm.MANAGE_STATION)
def station_close(request, code: str):
    reason = request.POST.get("reason", "")

    def act(station):
        services.station_close(actor=request.user, station=station, reason=reason)
        return _("The station is out of service and no longer shown to workers.")

    return _station_action(request, code, act)


@require_POST
@console_required(Perm.MANAGE_STATION)
def station_reopen(request, code: str):
    def act(station):
        services.station_reopen(actor=request.user, station=station)
        return _("The station is back in service.")

    return _station_action(request, code, act)


@require_POST
@console_required(Perm.MANAGE_STATION)
def host_add(request, code: str):
    form = HostAddForm(request.POST)

    def act(station):
        if not form.is_valid():
            raise DomainError(_("Enter a mobile number."), code="required", field="phone")
        phone = canonical_phone(form.cleaned_data["phone"])
        user = (
            User.objects.unscoped(reason="find the account to make a station host by phone")
            .filter(phone=phone, is_active=True)
            .first()
        )
        if user is None:
            raise DomainError(
                _("No active account has this mobile number."), code="unknown", field="phone"
            )
        services.station_host_add(actor=request.user, station=station, user=user)
        return _("%(name)s now hosts this station.") % {"name": mask_name(user.name)}

    return _station_action(request, code, act)


@require_POST
@console_required(Perm.MANAGE_STATION)
def host_remove(request, code: str, user_pk: int):
    def act(station):
        link = station.host_links.select_related("user").filter(user_id=user_pk).first()
        if link is None:
            raise Http404
        services.station_host_remove(actor=request.user, station=station, user=link.user)
        return _("%(name)s no longer hosts this station.") % {"name": mask_name(link.user.name)}

    return _station_action(request, code, act)


# --- import and export ---------------------------------------------------------------------------
@console_required(Perm.MANAGE_STATION)
def station_import(request):
    """Upload a station list; checked and saved as a background job (``core.import_jobs``)."""
    return upload_page(request, importer=StationImporter, template="stations/console_import.html")


@console_required(Perm.MANAGE_STATION)
def import_template(request):
    response = HttpResponse(tabular.template_xlsx(IMPORT_LAYOUT), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="stations-template.xlsx"'
    return response


def export_row(station: Station, checkins: int) -> dict:
    hours_pair = same_hours_every_day(station.weekly_hours)
    return {
        "name": station.name,
        "kind": station.get_kind_display(),
        "tier": station.tier,
        "host_org_name": station.host_org_name,
        "address": station.address,
        "region": station.region_id,
        "lat": station.lat,
        "lng": station.lng,
        "seats": station.seats,
        "phone": station.phone,
        "always_open": _yes_no(station.always_open),
        "opens": "" if station.always_open or not hours_pair else hours_pair[0],
        "closes": "" if station.always_open or not hours_pair else hours_pair[1],
        "amenities": "、".join(link.amenity.label for link in station.amenity_links.all()),
        "is_public": _yes_no(station.is_public),
        "code": station.code,
        "status": _status_label(station),
        "checkins": checkins,
    }


@console_required(Perm.VIEW_STATION)
def station_export(request):
    actor = request.user
    form = _filter_form(request)
    stations = selectors.station_list(actor=actor, **form.filters()).prefetch_related(
        "amenity_links__amenity"
    )
    usage = selectors.usage_by_station(actor=actor, days=USAGE_DAYS)
    rows = [export_row(station, usage.get(station.pk, 0)) for station in stations]
    now = timezone.localtime()
    watermark = f"{mask_name(actor.name)} {now:%Y-%m-%d %H:%M}"
    content = tabular.export_xlsx(EXPORT_LAYOUT, rows, watermark=watermark)
    services.station_export_record(actor=actor, rows=len(rows))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="stations-{now:%Y%m%d-%H%M}.xlsx"'
    return response
