"""Forms of the station pages: the finder, the host's phone pages and the officer console."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import grant_paths, paths_q
from warmbee.core.errors import DomainError
from warmbee.regions.models import Level, Region

from . import services
from .models import (
    CHINA_LAT,
    CHINA_LNG,
    Amenity,
    FeedbackKind,
    FeedbackStatus,
    Kind,
    LiveStatus,
    Tier,
)

ACTIVE_CHOICES = [
    ("1", gettext_lazy("In service")),
    ("0", gettext_lazy("Out of service")),
    ("all", gettext_lazy("All stations")),
]
STATION_REGION_LEVELS = (Level.COUNTY, Level.TOWNSHIP)


def _lat_message() -> str:
    return _(
        "Latitude must be between %(min)s and %(max)s (mainland China); "
        "check that latitude and longitude are not swapped."
    ) % {"min": f"{CHINA_LAT[0]:g}", "max": f"{CHINA_LAT[1]:g}"}


def _lng_message() -> str:
    return _(
        "Longitude must be between %(min)s and %(max)s (mainland China); "
        "check that latitude and longitude are not swapped."
    ) % {"min": f"{CHINA_LNG[0]:g}", "max": f"{CHINA_LNG[1]:g}"}


LAT_MESSAGE = lazy(_lat_message, str)()
LNG_MESSAGE = lazy(_lng_message, str)()
HOURS_MESSAGE = gettext_lazy(
    "Give the opening and closing times, or mark the station as open 24 hours."
)
BOTH_TIMES_MESSAGE = gettext_lazy("Give both the opening and the closing time.")


# --- regions in scope ---------------------------------------------------------------------------
def station_regions(actor):
    """Where the actor may place a station: counties and streets they manage."""
    paths = grant_paths(actor, Perm.MANAGE_STATION)
    if not paths:
        return Region.objects.none()
    return (
        Region.objects.current()
        .filter(paths_q(paths), level__in=STATION_REGION_LEVELS)
        .order_by("path")
    )


class RegionSelect(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = "　" if obj.level == Level.TOWNSHIP else ""
        return f"{indent}{obj.name} ({obj.code})"


# --- forms ---------------------------------------------------------------------------------------
class StationFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name, address or code"), required=False, max_length=80)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    tier = forms.TypedChoiceField(
        label=gettext_lazy("Tier"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Any tier")), *Tier.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Live status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *LiveStatus.choices],
    )
    active = forms.ChoiceField(
        label=gettext_lazy("Service status"), required=False, choices=ACTIVE_CHOICES
    )

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [("", _("All regions in my area"))] + [
            (r.code, f"{r.name} ({r.code})") for r in regions
        ]

    def filters(self) -> dict:
        """Keyword arguments for ``selectors.station_list`` (defaults: stations in service).

        A value that is not a choice (a region outside scope) is dropped, never widened.
        """
        data: dict = {}
        if self.is_bound:
            self.is_valid()  # cleaned_data keeps the valid fields even when others are not
            data = self.cleaned_data
        active = data.get("active") or "1"
        return {
            "region": self.regions.get(data.get("region") or ""),
            "q": data.get("q") or "",
            "tier": data.get("tier"),
            "status": data.get("status") or "",
            "active": None if active == "all" else active == "1",
        }


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class LooseTimeField(forms.TimeField):
    """``08:00``, ``8:00``, ``08:00:00`` and the full-width colon ``08：00``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%H:%M", "%H:%M:%S"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("：", ":")
        return super().to_python(value)


def lat_field(**kwargs) -> forms.FloatField:
    return forms.FloatField(
        validators=[
            MinValueValidator(CHINA_LAT[0], message=LAT_MESSAGE),
            MaxValueValidator(CHINA_LAT[1], message=LAT_MESSAGE),
        ],
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


def lng_field(**kwargs) -> forms.FloatField:
    return forms.FloatField(
        validators=[
            MinValueValidator(CHINA_LNG[0], message=LNG_MESSAGE),
            MaxValueValidator(CHINA_LNG[1], message=LNG_MESSAGE),
        ],
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


class StationEditForm(forms.Form):
    """The fields ``station_update`` changes (hours and amenities live on the host page)."""

    name = forms.CharField(label=gettext_lazy("Station name"), max_length=80)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Kind.choices)
    tier = forms.TypedChoiceField(
        label=gettext_lazy("Tier"), choices=Tier.choices, coerce=int, initial=Tier.TWO
    )
    host_org_name = forms.CharField(
        label=gettext_lazy("Host organisation"), max_length=100, required=False
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200)
    region = RegionSelect(label=gettext_lazy("Region"), queryset=Region.objects.none())
    lat = lat_field(label=gettext_lazy("Latitude (WGS-84)"))
    lng = lng_field(label=gettext_lazy("Longitude (WGS-84)"))
    seats = forms.IntegerField(
        label=gettext_lazy("Seats"), min_value=0, max_value=500, initial=0, required=False
    )
    phone = forms.CharField(label=gettext_lazy("Station phone"), max_length=20, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("Shown to the public"), required=False, initial=True
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean_seats(self):
        return self.cleaned_data.get("seats") or 0


def check_daily_times(form: forms.Form, data: dict, *, required: bool) -> None:
    """The "every day from … to …" pair: both or neither, and one of them when ``required``."""
    if form.has_error("opens") or form.has_error("closes"):
        return
    opens, closes = data.get("opens"), data.get("closes")
    if (opens is None) != (closes is None):
        form.add_error("opens" if opens is None else "closes", BOTH_TIMES_MESSAGE)
    elif opens is None and required:
        form.add_error("opens", HOURS_MESSAGE)


class StationCreateForm(StationEditForm):
    always_open = forms.BooleanField(label=gettext_lazy("Open 24 hours"), required=False)
    opens = LooseTimeField(
        label=gettext_lazy("Opens (every day)"), required=False, widget=TimeInput
    )
    closes = LooseTimeField(
        label=gettext_lazy("Closes (every day)"), required=False, widget=TimeInput
    )
    amenities = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Amenities"),
        queryset=Amenity.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        data = super().clean()
        check_daily_times(self, data, required=not data.get("always_open"))
        return data


def every_day(opens: dt.time, closes: dt.time) -> list[list]:
    return [[day, opens.strftime("%H:%M"), closes.strftime("%H:%M")] for day in range(7)]


def same_hours_every_day(weekly_hours) -> tuple[str, str] | None:
    """``("08:00", "20:00")`` when every day has that one interval, else ``None``."""
    rows = [tuple(r) for r in weekly_hours or ()]
    if len(rows) != 7 or sorted(r[0] for r in rows) != list(range(7)):
        return None
    spans = {(r[1], r[2]) for r in rows}
    return spans.pop() if len(spans) == 1 else None


class HostAddForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile number of the host"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


DEFAULT_SLOTS = 2  # opening intervals shown per day in the hours editor
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


def raise_unless_invalid(exc: DomainError) -> None:
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


class FinderForm(forms.Form):
    region = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    q = forms.CharField(label=gettext_lazy("Name or address"), required=False, max_length=40)
    amenity = forms.MultipleChoiceField(
        label=gettext_lazy("Needs"), required=False, widget=forms.CheckboxSelectMultiple
    )
    open_now = forms.BooleanField(label=gettext_lazy("Open now"), required=False)

    def __init__(self, *args, amenities, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("All districts"))] + [
            (r.code, r.name) for r in regions
        ]
        self.fields["amenity"].choices = [(a.code, f"{a.icon} {a.label}") for a in amenities]


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=FeedbackKind.choices, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Stars"),
        choices=[("", "—")] + [(str(n), "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    amenity = forms.ChoiceField(label=gettext_lazy("About"), required=False)
    text = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        max_length=300,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": gettext_lazy("e.g. the microwave is broken")}
        ),
    )

    def __init__(self, *args, amenities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amenity"].choices = [("", _("The station in general"))] + [
            (a.code, f"{a.icon} {a.label}") for a in amenities
        ]
