"""The station spreadsheet: the import and export layout, the row form and the row upsert.

Built on ``core.tabular`` (ADR 0006); used by the officer console.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.core import tabular
from warmbee.core.errors import DomainError
from warmbee.regions.models import Region

from . import services
from .forms import (
    HOURS_MESSAGE,
    LooseTimeField,
    check_daily_times,
    every_day,
    lat_field,
    lng_field,
)
from .models import (
    Amenity,
    Kind,
    Station,
    Tier,
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
        kind = tabular.choice_lookup(Kind.choices).get(value.casefold())
        if kind is None:
            raise ValidationError(
                _("Unknown kind “%(value)s”; use one of: %(choices)s.")
                % {"value": value, "choices": "、".join(str(label) for label in Kind.labels)}
            )
        return kind

    def clean_tier(self):
        value = self.cleaned_data["tier"].strip()
        tier = tabular.choice_lookup(Tier.choices).get(value.casefold())
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
        return tabular.parse_bool(self.cleaned_data["always_open"])

    def clean_is_public(self):
        return tabular.parse_bool(self.cleaned_data["is_public"])

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
        # Required only for new stations: an update may leave the hours as they are.
        check_daily_times(self, data, required=False)
        return data


def row_key(data: dict):
    return (data["region"].pk, data["name"], data["address"])


def apply_row_for(actor):
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
        for p in tabular.in_every_language(
            lambda: _("Exported by: %(watermark)s") % {"watermark": ""}
        )
        if p
    }


def drop_watermark(table: tabular.Table) -> None:
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
