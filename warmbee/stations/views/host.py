"""The station host's phone pages: keep a station's live status, hours, amenities and photos
current, answer its problem reports and print its door poster.

Hosts reach the stations they host; officers who manage a station's region reach the same pages
(``selectors.keeper_station``: anyone else gets 404). GET never changes anything; every change
is a POST to one service, then a redirect with a message. A service's ``DomainError`` is shown
next to the field it names, on the page the form lives on.

The small forms live here because they belong to these pages only.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core import qr
from warmbee.core.errors import DomainError
from warmbee.core.pi import mask_name
from warmbee.core.views import attach_error

from .. import hours as hours_rules
from .. import selectors, services
from ..forms import (
    AmenitiesForm,
    ExceptionForm,
    FeedbackHandleForm,
    HoursForm,
    PhotoForm,
    StatusForm,
    raise_unless_invalid,
)
from ..models import (
    Amenity,
    FeedbackKind,
    HoursException,
    LiveStatus,
    StationAmenity,
    StationPhoto,
)

CHECKINS_SHOWN = 50
RATINGS_SHOWN = 10
POSTER_TYPES = {"png": "image/png", "pdf": "application/pdf"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- pages ---------------------------------------------------------------------------------------
@login_required
def home(request):
    stations = selectors.hosted_stations(request.user)
    context = {
        "stations": stations,
        "can_manage": has_perm(request.user, Perm.MANAGE_STATION),
    }
    return render(request, "stations/host_home.html", context)


def _stars(rating: int | None) -> str:
    rating = rating or 0
    return "★" * rating + "☆" * (5 - rating)


def _dashboard(request, station, *, status_form=None, feedback_form=None):
    start, end = selectors.today_bounds()
    checkins_qs = selectors.checkins_between(station, start, end)
    checkins = [
        {"at": c.created_at, "name": mask_name(c.user.name)} for c in checkins_qs[:CHECKINS_SHOWN]
    ]
    checkins_today = len(checkins) if len(checkins) < CHECKINS_SHOWN else checkins_qs.count()
    problems = selectors.feedback_for(station, open_problems=True)
    queue = []
    for fb in problems:
        if feedback_form is not None and feedback_form.feedback_pk == fb.pk:
            form = feedback_form
        else:
            form = FeedbackHandleForm(feedback_pk=fb.pk)
        queue.append({"feedback": fb, "form": form})
    ratings = [
        {"stars": _stars(fb.rating), "rating": fb.rating, "text": fb.text, "at": fb.created_at}
        for fb in selectors.feedback_for(station).filter(kind=FeedbackKind.RATING)[:RATINGS_SHOWN]
    ]
    if status_form is None:
        initial = {"status": LiveStatus.TEMP_CLOSED}
        if station.status == LiveStatus.TEMP_CLOSED:
            initial |= {"reason": station.status_reason, "reopens_at": station.reopens_at}
        status_form = StatusForm(initial=initial, auto_id="id_status_%s")
    schedule, live = selectors.station_schedule(station)
    occupancy = selectors.occupancy(station)
    context = {
        "station": station,
        "status_form": status_form,
        "one_tap": [
            (LiveStatus.OPEN, LiveStatus.OPEN.label),
            (LiveStatus.FULL, LiveStatus.FULL.label),
            (LiveStatus.CLOSED, LiveStatus.CLOSED.label),
        ],
        "open_now": hours_rules.is_open(schedule, live, timezone.now()),
        "hours_summary": schedule.summary(),
        "checkins": checkins,
        "checkins_today": checkins_today,
        "checkins_more": checkins_today - len(checkins),
        "occupancy": occupancy,
        "over_capacity": bool(station.seats) and occupancy >= station.seats,
        "queue": queue,
        "ratings": ratings,
        "rating_summary": selectors.rating_summary(station),
        "can_manage": selectors.can_manage(request.user, station),
    }
    return render(request, "stations/host_station.html", context)


@login_required
def station(request, code: str):
    return _dashboard(request, selectors.keeper_station(request.user, code))


@require_POST
@login_required
def status(request, code: str):
    station = selectors.keeper_station(request.user, code)
    form = StatusForm(request.POST, auto_id="id_status_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            station = services.station_set_status(
                actor=request.user,
                station=station,
                status=data["status"],
                reason=data["reason"],
                reopens_at=data["reopens_at"],
            )
        except DomainError as exc:
            raise_unless_invalid(exc)
            attach_error(form, exc)
        else:
            messages.success(
                request,
                _("Status updated: %(status)s.") % {"status": station.get_status_display()},
            )
            return redirect("stations:host_station", code=station.code)
    return _dashboard(request, station, status_form=form)


@login_required
def hours(request, code: str):
    station = selectors.keeper_station(request.user, code)
    initial, slots = HoursForm.initial_for(station)
    if request.method == "POST":
        form = HoursForm(request.POST, slots=slots)
        if form.is_valid():
            try:
                services.station_set_hours(
                    actor=request.user,
                    station=station,
                    always_open=form.cleaned_data["always_open"],
                    weekly_hours=form.weekly_hours,
                )
            except DomainError as exc:
                raise_unless_invalid(exc)
                attach_error(
                    form, exc, {"weekly_hours": "always_open" if exc.code == "required" else None}
                )
            else:
                messages.success(request, _("Opening hours saved."))
                return redirect("stations:host_hours", code=station.code)
    else:
        form = HoursForm(initial=initial, slots=slots)
    return _hours_page(request, station, form=form, exception_form=ExceptionForm())


def _hours_page(request, station, *, form, exception_form):
    exceptions = HoursException.objects.filter(station=station, date__gte=timezone.localdate())
    context = {
        "station": station,
        "form": form,
        "exception_form": exception_form,
        "exceptions": list(exceptions),
    }
    return render(request, "stations/host_hours.html", context)


@require_POST
@login_required
def exception_add(request, code: str):
    station = selectors.keeper_station(request.user, code)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.station_set_exception(
                actor=request.user,
                station=station,
                date=data["date"],
                closed=data["closed"],
                opens=data["opens"],
                closes=data["closes"],
                note=data["note"],
            )
        except DomainError as exc:
            raise_unless_invalid(exc)
            # "Give both times" is reported on ``opens``; point at the one left empty.
            attach_error(form, exc, {"opens": "closes" if data["opens"] else "opens"})
        else:
            messages.success(
                request,
                _("Special hours for %(date)s saved.") % {"date": data["date"].isoformat()},
            )
            return redirect("stations:host_hours", code=station.code)
    initial, slots = HoursForm.initial_for(station)
    hours_form = HoursForm(initial=initial, slots=slots)
    return _hours_page(request, station, form=hours_form, exception_form=form)


@require_POST
@login_required
def exception_delete(request, code: str, date: str):
    station = selectors.keeper_station(request.user, code)
    try:
        day = dt.date.fromisoformat(date) if ISO_DATE.fullmatch(date) else None
    except ValueError:
        day = None
    if day is None or not HoursException.objects.filter(station=station, date=day).exists():
        raise Http404
    services.station_delete_exception(actor=request.user, station=station, date=day)
    messages.success(request, _("Special hours for %(date)s removed.") % {"date": day.isoformat()})
    return redirect("stations:host_hours", code=station.code)


@login_required
def amenities(request, code: str):
    station = selectors.keeper_station(request.user, code)
    active = list(Amenity.objects.filter(is_active=True))
    links = {
        link.amenity_id: link.verified_on for link in StationAmenity.objects.filter(station=station)
    }
    if request.method == "POST":
        form = AmenitiesForm(request.POST, amenities=active)
        if form.is_valid():
            try:
                services.station_set_amenities(
                    actor=request.user, station=station, codes=form.cleaned_data["amenities"]
                )
            except DomainError as exc:
                raise_unless_invalid(exc)
                attach_error(form, exc)
            else:
                messages.success(request, _("Amenities saved and marked as checked today."))
                return redirect("stations:host_amenities", code=station.code)
        chosen = set(request.POST.getlist("amenities"))
    else:
        form = AmenitiesForm(initial={"amenities": list(links)}, amenities=active)
        chosen = set(links)
    rows = [
        {
            "amenity": a,
            "checked": a.code in chosen,
            "verified_on": links.get(a.code),
            "id": f"id_amenity_{a.code}",
        }
        for a in active
    ]
    context = {"station": station, "form": form, "rows": rows}
    return render(request, "stations/host_amenities.html", context)


@login_required
def photos(request, code: str):
    station = selectors.keeper_station(request.user, code)
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.station_photo_add(
                    actor=request.user,
                    station=station,
                    upload=form.cleaned_data["photo"],
                    caption=form.cleaned_data["caption"],
                )
            except DomainError as exc:
                raise_unless_invalid(exc)
                attach_error(form, exc)
            else:
                messages.success(request, _("Photo added."))
                return redirect("stations:host_photos", code=station.code)
    else:
        form = PhotoForm()
    current = list(StationPhoto.objects.filter(station=station))
    context = {
        "station": station,
        "form": form,
        "photos": current,
        "max_photos": services.MAX_PHOTOS,
        "full": len(current) >= services.MAX_PHOTOS,
    }
    return render(request, "stations/host_photos.html", context)


@require_POST
@login_required
def photo_delete(request, code: str, pk: int):
    station = selectors.keeper_station(request.user, code)
    photo = StationPhoto.objects.filter(station=station, pk=pk).first()
    if photo is None:
        raise Http404
    services.station_photo_delete(actor=request.user, station=station, photo=photo)
    messages.success(request, _("Photo deleted."))
    return redirect("stations:host_photos", code=station.code)


@require_POST
@login_required
def feedback_handle(request, code: str, pk: int):
    station = selectors.keeper_station(request.user, code)
    feedback = selectors.feedback_for(station).filter(pk=pk).first()
    if feedback is None:
        raise Http404
    form = FeedbackHandleForm(request.POST, feedback_pk=feedback.pk)
    if form.is_valid():
        try:
            handled = services.feedback_handle(
                actor=request.user,
                feedback=feedback,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
            )
        except DomainError as exc:
            raise_unless_invalid(exc)
            attach_error(form, exc)
        else:
            messages.success(
                request,
                _("Feedback marked as %(status)s.") % {"status": handled.get_status_display()},
            )
            return redirect("stations:host_station", code=station.code)
    return _dashboard(request, station, feedback_form=form)


@login_required
def poster(request, code: str, fmt: str):
    """The printable door poster: a QR code of the station's check-in address."""
    if fmt not in POSTER_TYPES:
        raise Http404
    station = selectors.keeper_station(request.user, code)
    url = request.build_absolute_uri(reverse("stations:checkin", args=[station.code]))
    render_poster = qr.poster_png if fmt == "png" else qr.poster_pdf
    # The poster is for the public at the door: in the site's language, whoever prints it.
    with translation.override(settings.LANGUAGE_CODE):
        subtitle = f"{station.get_kind_display()} · {station.get_tier_display()}"
    content = render_poster(
        url=url,
        title=station.name,
        subtitle=f"{subtitle}\n{station.address}",
        footer=f"扫码签到 · Scan to check in · {station.code}",
    )
    response = HttpResponse(content, content_type=POSTER_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="station-{station.code}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
