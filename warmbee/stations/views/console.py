"""The officers' console for the station network: list, map, create, edit, hosts, import, export.

Thin views (STYLE.md): every read goes through ``stations.selectors``, every write through
``stations.services``; imports and exports go through ``core.tabular``. Scope is never filtered
here: a station outside the actor's grants is 404 through ``access_station``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections import defaultdict

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from warmbee.accounts.auth import canonical_phone
from warmbee.accounts.models import User
from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import grant_paths, has_perm
from warmbee.audit.services import record
from warmbee.core import tabular
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.maps import map_config, to_display
from warmbee.core.pi import mask_name, mask_phone
from warmbee.core.views import attach_error, console_required
from warmbee.regions.models import Level, Region

from .. import finder, hours, selectors, services
from ..models import (
    CHINA_LAT,
    CHINA_LNG,
    Amenity,
    FeedbackKind,
    HoursException,
    Kind,
    LiveStatus,
    Station,
    Tier,
)

PAGE_SIZE = 50
USAGE_DAYS = 7
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
def _paths_q(paths: list[str]) -> Q:
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return q


def filter_regions(actor) -> list[Region]:
    """Counties under the actor's grants, or the granted region itself when it lies lower."""
    paths = grant_paths(actor, Perm.VIEW_STATION)
    if not paths:
        return []
    counties = Q(level=Level.COUNTY) & _paths_q(paths)
    below = Q(path__in=paths, level__in=[Level.TOWNSHIP, Level.COMMUNITY])
    return list(Region.objects.current().filter(counties | below).order_by("path"))


def station_regions(actor):
    """Where the actor may place a station: counties and streets they manage."""
    paths = grant_paths(actor, Perm.MANAGE_STATION)
    if not paths:
        return Region.objects.none()
    return (
        Region.objects.current()
        .filter(_paths_q(paths), level__in=STATION_REGION_LEVELS)
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
        if self.has_error("opens") or self.has_error("closes"):
            return data
        opens, closes = data.get("opens"), data.get("closes")
        if (opens is None) != (closes is None):
            self.add_error("opens" if opens is None else "closes", BOTH_TIMES_MESSAGE)
        elif opens is None and not data.get("always_open"):
            self.add_error("opens", HOURS_MESSAGE)
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


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file, laid out as the template."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"),
        choices=[
            (tabular.ALL_OR_NOTHING, gettext_lazy("Import nothing (all or nothing)")),
            (tabular.VALID_ONLY, gettext_lazy("Import the valid rows only")),
        ],
        initial=tabular.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check the file without saving anything"),
        required=False,
        initial=True,
    )


# --- the spreadsheet layout ----------------------------------------------------------------------
KEEP = gettext_lazy("Leave blank to keep the current value when the station already exists.")
IMPORT_COLUMNS = [
    tabular.Column(
        "name",
        gettext_lazy("Station name"),
        required=True,
        width=24,
        help=gettext_lazy(
            "A station with the same name and address in the same region is updated, "
            "not created again."
        ),
        example="萨尔图区暖蜂驿站",
    ),
    tabular.Column(
        "kind",
        gettext_lazy("Kind"),
        width=18,
        help=gettext_lazy("One of the kinds on the station form, or its code (e.g. warmbee)."),
        example="warmbee",
    ),
    tabular.Column(
        "tier", gettext_lazy("Tier"), required=True, width=8, help="1, 2, 3", example="2"
    ),
    tabular.Column("host_org_name", gettext_lazy("Host organisation"), width=20, help=KEEP),
    tabular.Column(
        "address", gettext_lazy("Address"), required=True, width=30, example="萨尔图区中央大街1号"
    ),
    tabular.Column(
        "region",
        gettext_lazy("Region code"),
        required=True,
        text=True,
        width=12,
        help=gettext_lazy("The code of a district, county or street in your area."),
        example="230602",
    ),
    tabular.Column(
        "lat",
        gettext_lazy("Latitude"),
        required=True,
        width=11,
        help=gettext_lazy("WGS-84 (GPS), in degrees."),
        example="46.5963",
    ),
    tabular.Column(
        "lng",
        gettext_lazy("Longitude"),
        required=True,
        width=11,
        help=gettext_lazy("WGS-84 (GPS), in degrees."),
        example="125.1042",
    ),
    tabular.Column("seats", gettext_lazy("Seats"), width=8, help=KEEP, example="8"),
    tabular.Column(
        "phone",
        gettext_lazy("Station phone"),
        text=True,
        width=16,
        help=KEEP,
        example="04596666666",
    ),
    tabular.Column(
        "always_open",
        gettext_lazy("Open 24 hours"),
        width=10,
        help=gettext_lazy("Yes or No (also 1/0, true/false)."),
        example="否",
    ),
    tabular.Column(
        "opens",
        gettext_lazy("Opens"),
        width=8,
        help=gettext_lazy("HH:MM, the same every day. Needed unless open 24 hours."),
        example="08:00",
    ),
    tabular.Column(
        "closes",
        gettext_lazy("Closes"),
        width=8,
        help=gettext_lazy("HH:MM; a time at or before the opening time runs past midnight."),
        example="20:00",
    ),
    tabular.Column(
        "amenities",
        gettext_lazy("Amenities"),
        width=30,
        help=gettext_lazy("Names or codes separated by 、, commas or spaces."),
        example="饮用水、卫生间、充电换电",
    ),
    tabular.Column(
        "is_public",
        gettext_lazy("Shown to the public"),
        width=10,
        help=gettext_lazy("Yes or No (also 1/0, true/false)."),
        example="是",
    ),
]
IMPORT_LAYOUT = tabular.Layout(columns=IMPORT_COLUMNS, sheet_title=gettext_lazy("Stations"))
EXPORT_LAYOUT = tabular.Layout(
    columns=[
        *IMPORT_COLUMNS,
        tabular.Column("code", gettext_lazy("Station code"), text=True, width=10),
        tabular.Column("status", gettext_lazy("Status"), width=14),
        tabular.Column("checkins", gettext_lazy("Check-ins, last 7 days"), width=12),
    ],
    sheet_title=gettext_lazy("Stations"),
)
LIST_SPLIT = re.compile(r"[、,，;；\n]+")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "对", "√", "✓"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "不", "×", "✗"}


def _in_every_language(func) -> set[str]:
    """``func()`` evaluated under each site language, casefolded."""
    values = set()
    for code, _name in [*settings.LANGUAGES, ("en", "")]:
        with translation.override(code):
            values.add(str(func()).strip().casefold())
    return values


def parse_bool(value: str) -> bool | None:
    """``None`` for a blank cell; ``ValidationError`` for something that is not yes or no."""
    text = (value or "").strip().casefold()
    if not text:
        return None
    if text in TRUE_WORDS or text in _in_every_language(lambda: _("Yes")):
        return True
    if text in FALSE_WORDS or text in _in_every_language(lambda: _("No")):
        return False
    raise ValidationError(_("Write Yes or No."), code="boolean")


def _choice_lookup(choices) -> dict[str, object]:
    """Value, and label in every language, casefolded → value."""
    lookup: dict[str, object] = {}
    for value, label in choices:
        lookup[str(value).casefold()] = value
        for text in _in_every_language(lambda label=label: label):
            lookup[text] = value
    return lookup


class StationRowForm(forms.Form):
    """One spreadsheet row: types checked here, rules (scope, region level) by the service."""

    name = forms.CharField(max_length=80)
    kind = forms.CharField(required=False)
    tier = forms.CharField()
    host_org_name = forms.CharField(max_length=100, required=False)
    address = forms.CharField(max_length=200)
    region = forms.CharField(max_length=12)
    lat = lat_field()
    lng = lng_field()
    seats = forms.IntegerField(min_value=0, max_value=500, required=False)
    phone = forms.CharField(max_length=20, required=False)
    always_open = forms.CharField(required=False)
    opens = LooseTimeField(required=False)
    closes = LooseTimeField(required=False)
    amenities = forms.CharField(required=False)
    is_public = forms.CharField(required=False)

    def clean_kind(self):
        value = self.cleaned_data["kind"].strip()
        if not value:
            return ""
        kind = _choice_lookup(Kind.choices).get(value.casefold())
        if kind is None:
            raise ValidationError(
                _("Unknown kind “%(value)s”; use one of: %(choices)s.")
                % {"value": value, "choices": "、".join(str(label) for label in Kind.labels)}
            )
        return kind

    def clean_tier(self):
        value = self.cleaned_data["tier"].strip()
        tier = _choice_lookup(Tier.choices).get(value.casefold())
        if tier is None:
            raise ValidationError(_("The tier must be 1, 2 or 3."))
        return int(tier)

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        region = Region.objects.filter(code=code, retired=False).first()
        if region is None:
            raise ValidationError(_("Unknown region code “%(code)s”.") % {"code": code})
        return region

    def clean_always_open(self):
        return parse_bool(self.cleaned_data["always_open"])

    def clean_is_public(self):
        return parse_bool(self.cleaned_data["is_public"])

    def clean_amenities(self):
        text = self.cleaned_data["amenities"].strip()
        if not text:
            return None
        lookup: dict[str, str] = {}
        for amenity in Amenity.objects.filter(is_active=True):
            for name in (amenity.code, amenity.name, amenity.name_en):
                lookup[name.casefold()] = amenity.code
        codes, unknown = [], []
        for part in LIST_SPLIT.split(text):
            part = " ".join(part.split())
            # "Drinking water" is one name; "饮用水 卫生间" are two.
            words = [part] if part.casefold() in lookup else part.split()
            for word in words:
                code = lookup.get(word.casefold())
                if code is None:
                    unknown.append(word)
                elif code not in codes:
                    codes.append(code)
        if unknown:
            raise ValidationError(
                _("Unknown amenities: %(names)s.") % {"names": "、".join(unknown)}
            )
        return codes

    def clean(self):
        data = super().clean()
        if self.has_error("opens") or self.has_error("closes"):
            return data
        opens, closes = data.get("opens"), data.get("closes")
        if (opens is None) != (closes is None):
            self.add_error("opens" if opens is None else "closes", BOTH_TIMES_MESSAGE)
        return data


def _row_key(data: dict):
    return (data["region"].pk, data["name"], data["address"])


def _apply_row(actor):
    """``apply_row`` for ``run_import``: create, or update the station with the same key."""

    def apply_row(data: dict, number: int) -> str:
        region = data["region"]
        opens, closes = data.get("opens"), data.get("closes")
        always_open = data.get("always_open")
        weekly = every_day(opens, closes) if opens and closes else []
        existing = (
            Station.objects.visible_to(actor, Perm.MANAGE_STATION)
            .filter(region=region, name=data["name"], address=data["address"])
            .order_by("pk")
            .first()
        )
        if existing is None:
            if not always_open and not weekly:
                raise DomainError(HOURS_MESSAGE, code="required", field="opens")
            services.station_create(
                actor=actor,
                name=data["name"],
                address=data["address"],
                region=region,
                lat=data["lat"],
                lng=data["lng"],
                kind=data["kind"] or Kind.WARMBEE,
                tier=data["tier"],
                host_org_name=data["host_org_name"],
                seats=data["seats"] or 0,
                phone=data["phone"],
                is_public=True if data["is_public"] is None else data["is_public"],
                always_open=bool(always_open),
                weekly_hours=[] if always_open else weekly,
                amenities=data["amenities"] or [],
            )
            return "created"

        changes = {"tier": data["tier"], "lat": data["lat"], "lng": data["lng"]}
        for name in ("kind", "host_org_name", "phone"):
            if data[name]:
                changes[name] = data[name]
        for name in ("seats", "is_public"):
            if data[name] is not None:
                changes[name] = data[name]
        station = services.station_update(actor=actor, station=existing, **changes)
        if always_open or weekly:
            services.station_set_hours(
                actor=actor,
                station=station,
                always_open=bool(always_open),
                weekly_hours=[] if always_open else weekly,
            )
        elif always_open is False and station.always_open:
            raise DomainError(HOURS_MESSAGE, code="required", field="opens")
        if data["amenities"] is not None:
            current = set(station.amenity_links.values_list("amenity_id", flat=True))
            if current != set(data["amenities"]):
                services.station_set_amenities(
                    actor=actor, station=station, codes=data["amenities"]
                )
        return "updated"

    return apply_row


def _watermark_prefixes() -> set[str]:
    return {
        p
        for p in _in_every_language(lambda: _("Exported by: %(watermark)s") % {"watermark": ""})
        if p
    }


def _drop_watermark(table: tabular.Table) -> None:
    """An export ends with an "Exported by" line; re-importing the export skips it."""
    prefixes = _watermark_prefixes()

    def is_mark(row: tabular.TableRow) -> bool:
        first = row.values.get("name", "").casefold()
        others = [v for k, v in row.values.items() if k != "name"]
        return not any(others) and any(first.startswith(p) for p in prefixes)

    table.rows = [row for row in table.rows if not is_mark(row)]
    if not table.rows:
        raise DomainError(
            _("The file has a header row but no data rows."), code="import_file", field="file"
        )


# --- helpers -------------------------------------------------------------------------------------
def _station_or_404(actor, code: str, perm: str = Perm.VIEW_STATION) -> Station:
    try:
        return selectors.access_station(actor, code, perm)
    except NotFound:
        raise Http404 from None


def _mark_open_now(stations: list[Station], at: dt.datetime | None = None) -> None:
    """Set ``open_now`` on each station, reading date exceptions in one query."""
    at = at or timezone.now()
    since = timezone.localdate(at) - dt.timedelta(days=1)
    exceptions: dict[int, dict] = defaultdict(dict)
    rows = HoursException.objects.filter(
        station_id__in=[s.pk for s in stations], date__gte=since
    ).values_list("station_id", "date", "closed", "opens", "closes")
    for pk, date, closed, opens, closes in rows:
        interval = None if closed else hours.interval(opens, closes)
        exceptions[pk][date] = hours.Exception_(closed=closed, interval=interval)
    for station in stations:
        live = hours.Live(station.status, station.reopens_at, exceptions[station.pk])
        schedule = finder.schedule_of(station.always_open, station.weekly_hours)
        station.open_now = station.is_active and hours.is_open(schedule, live, at)


def _status_label(station: Station) -> str:
    return station.get_status_display() if station.is_active else _("Out of service")


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _filter_form(request) -> StationFilterForm:
    return StationFilterForm(request.GET or None, regions=filter_regions(request.user))


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
    _mark_open_now(rows)
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
        can_manage = services.can_manage(actor, station)
        form = None
        if can_manage:
            initial = {name: getattr(station, name) for name in services.EDITABLE}
            form = StationEditForm(initial=initial, regions=station_regions(actor))
    now = timezone.now()
    schedule, _live = selectors.station_schedule(station)
    _mark_open_now([station], now)
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
        "problems": selectors.feedback_for(station, open_only=True)
        .filter(kind=FeedbackKind.PROBLEM)
        .count(),
        "status": _status_label(station),
        "is_public_page": station.is_public and station.is_active,
        "map_config": map_config() if can_manage else None,
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
    actor = request.user
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    ignored: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            table = tabular.read_table(data["file"], IMPORT_LAYOUT)
            _drop_watermark(table)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            ignored = table.ignored_headers
            report = tabular.run_import(
                table=table,
                form_class=StationRowForm,
                apply_row=_apply_row(actor),
                mode=data["mode"],
                dry_run=data["dry_run"],
                key=_row_key,
            )
    context = {"form": form, "report": report, "ignored": ignored, "columns": IMPORT_COLUMNS}
    if report is not None and report.errors:
        context["errors_csv"] = base64.b64encode(report.errors_csv()).decode("ascii")
    return render(request, "stations/console_import.html", context)


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
    record(
        actor=actor, action="station.export", target=None, region=None, changes={"rows": len(rows)}
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="stations-{now:%Y%m%d-%H%M}.xlsx"'
    return response
