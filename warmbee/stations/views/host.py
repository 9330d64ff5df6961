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

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import has_perm
from warmbee.core import qr
from warmbee.core.errors import DomainError
from warmbee.core.pi import mask_name
from warmbee.core.views import attach_error

from .. import hours as hours_rules
from .. import selectors, services
from ..models import (
    Amenity,
    FeedbackKind,
    FeedbackStatus,
    HoursException,
    LiveStatus,
    StationAmenity,
    StationPhoto,
)

CHECKINS_SHOWN = 50
RATINGS_SHOWN = 10
MAX_PHOTOS = 12
DEFAULT_SLOTS = 2
POSTER_TYPES = {"png": "image/png", "pdf": "application/pdf"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


def _time_input():
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _raise_unless_invalid(exc: DomainError) -> None:
    """Missing or out of scope (404) and the like go to the error middleware; rule
    violations (400) are shown on the form."""
    if exc.status != 400:
        raise exc


# --- forms ---------------------------------------------------------------------------------------
class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=LiveStatus.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=120, required=False)
    reopens_at = forms.DateTimeField(
        label=gettext_lazy("Expected to reopen"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Optional. Your local time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime()
        self.fields["reopens_at"].widget.attrs["min"] = now.strftime("%Y-%m-%dT%H:%M")


class FeedbackHandleForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[
            (s.value, s.label)
            for s in (
                FeedbackStatus.ACKNOWLEDGED,
                FeedbackStatus.RESOLVED,
                FeedbackStatus.DISMISSED,
            )
        ],
    )
    response = forms.CharField(
        label=gettext_lazy("Response"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when dismissing."),
    )

    def __init__(self, *args, feedback_pk: int, **kwargs):
        kwargs.setdefault("auto_id", f"id_fb{feedback_pk}_%s")
        super().__init__(*args, **kwargs)
        self.feedback_pk = feedback_pk


class HoursForm(forms.Form):
    """The regular week: for each weekday ``slots`` opening intervals, or open 24 hours."""

    always_open = forms.BooleanField(label=gettext_lazy("Open 24 hours"), required=False)

    def __init__(self, *args, slots: int = DEFAULT_SLOTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = slots
        for day in range(7):
            for n in range(1, slots + 1):
                for edge, label in (("open", _("opens")), ("close", _("closes"))):
                    field = forms.TimeField(
                        label=f"{WEEKDAYS[day]} {n} {label}", required=False, widget=_time_input()
                    )
                    field.widget.attrs["aria-label"] = field.label
                    self.fields[f"d{day}_{edge}{n}"] = field
        self.weekly_hours: list[list] = []

    @staticmethod
    def initial_for(station) -> tuple[dict, int]:
        per_day: dict[int, list] = {}
        for weekday, opens, closes in station.weekly_hours or ():
            per_day.setdefault(int(weekday), []).append((opens, closes))
        slots = max([DEFAULT_SLOTS, *(len(v) for v in per_day.values())])
        initial: dict = {"always_open": station.always_open}
        for day, rows in per_day.items():
            for n, (opens, closes) in enumerate(sorted(rows), start=1):
                initial[f"d{day}_open{n}"] = dt.time.fromisoformat(opens)
                initial[f"d{day}_close{n}"] = dt.time.fromisoformat(closes)
        return initial, slots

    def day_rows(self):
        """For the template: each weekday with its interval fields and its errors."""
        for day in range(7):
            slots = [
                (self[f"d{day}_open{n}"], self[f"d{day}_close{n}"])
                for n in range(1, self.slots + 1)
            ]
            errors = [e for pair in slots for bf in pair for e in bf.errors]
            yield {"day": day, "label": WEEKDAYS[day], "slots": slots, "errors": errors}

    def clean(self):
        data = super().clean()
        per_day: dict[int, list[list]] = {}
        broken: set[int] = set()
        for day in range(7):
            rows = []
            for n in range(1, self.slots + 1):
                o_name, c_name = f"d{day}_open{n}", f"d{day}_close{n}"
                if o_name in self.errors or c_name in self.errors:
                    broken.add(day)
                    continue
                opens, closes = data.get(o_name), data.get(c_name)
                if opens is None and closes is None:
                    continue
                if opens is None or closes is None:
                    self.add_error(
                        c_name if closes is None else o_name,
                        _("Give both the opening and the closing time."),
                    )
                    broken.add(day)
                    continue
                rows.append([day, opens.strftime("%H:%M"), closes.strftime("%H:%M")])
            per_day[day] = rows
        # The rules themselves live in the service; here they only find the day at fault.
        for day in range(7):
            if day in broken:
                continue
            try:
                services.clean_weekly_hours(per_day[day])
            except DomainError as exc:
                self.add_error(f"d{day}_open1", exc.message)
                broken.add(day)
        for day in range(7):
            following = (day + 1) % 7
            if day in broken or following in broken:
                continue
            try:
                services.clean_weekly_hours(per_day[day] + per_day[following])
            except DomainError as exc:
                self.add_error(f"d{day}_open1", exc.message)
        self.weekly_hours = [row for day in range(7) for row in per_day.get(day, [])]
        return data


class ExceptionForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    closed = forms.BooleanField(label=gettext_lazy("Closed all day"), required=False, initial=True)
    opens = forms.TimeField(label=gettext_lazy("Opens"), required=False, widget=_time_input())
    closes = forms.TimeField(label=gettext_lazy("Closes"), required=False, widget=_time_input())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("For example: Spring Festival."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_exc_%s")
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()


class AmenitiesForm(forms.Form):
    amenities = forms.MultipleChoiceField(
        label=gettext_lazy("Amenities"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, amenities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amenities"].choices = [(a.code, f"{a.icon} {a.label}") for a in amenities]


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(label=gettext_lazy("Caption"), max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        size = f"{settings.UPLOAD_MAX_BYTES / 1024 / 1024:g}"
        self.fields["photo"].help_text = _("JPEG, PNG or WebP, at most %(size)s MB.") % {
            "size": size
        }


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
    problems = selectors.feedback_for(station, open_only=True).filter(kind=FeedbackKind.PROBLEM)
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
        "can_manage": services.can_manage(request.user, station),
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
            _raise_unless_invalid(exc)
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
                _raise_unless_invalid(exc)
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
            _raise_unless_invalid(exc)
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
                _raise_unless_invalid(exc)
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
                _raise_unless_invalid(exc)
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
        "max_photos": MAX_PHOTOS,
        "full": len(current) >= MAX_PHOTOS,
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
            _raise_unless_invalid(exc)
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
