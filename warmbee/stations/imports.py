"""The station spreadsheet: the import and export layout, the row form and the row upsert.

Built on ``core.tabular`` (ADR 0006) and imported through ``core.import_jobs`` (ADR 0010).
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import authorize
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


class StationImporter:
    """The station list for ``core.import_jobs`` (R41): the row form checks each row, then
    scope, region level, repeats within the file and — for new stations — the hours; a row
    matches the station with the same name and address in the same region, so importing the
    list (or an export of it) again updates instead of duplicating."""

    kind = "stations.stations"
    layout = IMPORT_LAYOUT
    perm = Perm.MANAGE_STATION
    title = gettext_lazy("Import stations")
    page = "stations:console_import"

    def __init__(self, actor):
        self.actor = actor
        self._seen: dict[tuple, int] = {}
        self._marks = _watermark_prefixes()

    @classmethod
    def authorize(cls, actor) -> None:
        authorize(actor, cls.perm)

    def _is_mark(self, row: tabular.TableRow) -> bool:
        """An export's last line ("Exported by …"): skipped when the export is imported."""
        first = row.values.get("name", "").casefold()
        others = [v for k, v in row.values.items() if k != "name"]
        return not any(others) and any(first.startswith(p) for p in self._marks)

    def check(self, rows: list[tabular.TableRow], header) -> tuple[list, list]:
        errors: list[tabular.RowError] = []
        cleaned: list[tuple[int, dict]] = []
        for row in rows:
            if row.errors or self._is_mark(row):
                continue  # the reader's errors are reported by the engine
            form = StationRowForm(data=row.values)
            if not form.is_valid():
                for name, messages in form.errors.items():
                    column = "" if name == NON_FIELD_ERRORS else header(name)
                    errors.extend(tabular.RowError(row.number, column, str(m)) for m in messages)
                continue
            data = form.cleaned_data
            try:
                authorize(self.actor, Perm.MANAGE_STATION, region=data["region"])
                services.check_station_region(data["region"])
            except DomainError as exc:
                errors.append(tabular.RowError(row.number, header("region"), str(exc.message)))
                continue
            key = row_key(data)
            if key in self._seen:
                message = _("Duplicate of row %(row)s.") % {"row": self._seen[key]}
                errors.append(tabular.RowError(row.number, "", message))
                continue
            self._seen[key] = row.number
            cleaned.append((row.number, data))
        existing = self._existing([data for _n, data in cleaned])
        records = []
        for number, data in cleaned:
            station = existing.get(row_key(data))
            opens, closes = data.get("opens"), data.get("closes")
            weekly = every_day(opens, closes) if opens and closes else []
            always_open = data.get("always_open")
            needs_hours = (station is None and not always_open) or (
                station is not None and always_open is False and station.always_open
            )
            if needs_hours and not weekly:
                errors.append(tabular.RowError(number, header("opens"), str(HOURS_MESSAGE)))
                continue
            record = {
                **{k: data[k] for k in PLAIN_FIELDS},
                "region": data["region"].pk,
                "always_open": always_open,
                "weekly_hours": weekly,
                "pk": station.pk if station else None,
            }
            records.append((number, "updated" if station else "created", record))
        errors.sort(key=lambda e: e.row)
        return records, errors

    def _existing(self, rows: list[dict]) -> dict:
        if not rows:
            return {}
        found = (
            Station.objects.visible_to(self.actor, Perm.MANAGE_STATION)
            .filter(
                region_id__in={d["region"].pk for d in rows}, name__in={d["name"] for d in rows}
            )
            .only("id", "region_id", "name", "address", "always_open")
            .order_by("-pk")  # the oldest of any twins wins, as on the console
        )
        return {(s.region_id, s.name, s.address): s for s in found}

    def write(self, records: list) -> tuple[dict, list]:
        from django.db import transaction

        counts = {"created": 0, "updated": 0, "unchanged": 0}
        errors: list[tabular.RowError] = []
        regions = Region.objects.in_bulk({r["region"] for _n, _a, r in records})
        stations = Station.objects.visible_to(self.actor, Perm.MANAGE_STATION).in_bulk(
            [r["pk"] for _n, _a, r in records if r["pk"]]
        )
        for number, action, rec in records:
            try:
                with transaction.atomic():
                    if action == "created":
                        self._create(rec, regions[rec["region"]])
                    else:
                        station = stations.get(rec["pk"])
                        if station is None:
                            raise DomainError(
                                _("This region is outside the area you manage."), field="region"
                            )
                        self._update(rec, station)
            except DomainError as exc:
                column = self.layout.column(exc.field or "")
                errors.append(
                    tabular.RowError(number, str(column.header) if column else "", str(exc.message))
                )
            else:
                counts[action] += 1
        return counts, errors

    def _create(self, rec: dict, region: Region) -> None:
        always_open = bool(rec["always_open"])
        services.station_create(
            actor=self.actor,
            name=rec["name"],
            address=rec["address"],
            region=region,
            lat=rec["lat"],
            lng=rec["lng"],
            kind=rec["kind"] or Kind.WARMBEE,
            tier=rec["tier"],
            host_org_name=rec["host_org_name"],
            seats=rec["seats"] or 0,
            phone=rec["phone"],
            is_public=True if rec["is_public"] is None else rec["is_public"],
            always_open=always_open,
            weekly_hours=[] if always_open else rec["weekly_hours"],
            amenities=rec["amenities"] or [],
        )

    def _update(self, rec: dict, station: Station) -> None:
        """Blank cells keep the current value; the hours change only when given."""
        changes = {"tier": rec["tier"], "lat": rec["lat"], "lng": rec["lng"]}
        for name in ("kind", "host_org_name", "phone"):
            if rec[name]:
                changes[name] = rec[name]
        for name in ("seats", "is_public"):
            if rec[name] is not None:
                changes[name] = rec[name]
        station = services.station_update(actor=self.actor, station=station, **changes)
        always_open, weekly = rec["always_open"], rec["weekly_hours"]
        if always_open or weekly:
            services.station_set_hours(
                actor=self.actor,
                station=station,
                always_open=bool(always_open),
                weekly_hours=[] if always_open else weekly,
            )
        if rec["amenities"] is not None:
            current = set(station.amenity_links.values_list("amenity_id", flat=True))
            if current != set(rec["amenities"]):
                services.station_set_amenities(
                    actor=self.actor, station=station, codes=rec["amenities"]
                )


# The row's values a record carries as they are (plain str, int, float, bool, None, lists).
PLAIN_FIELDS = (
    "name",
    "kind",
    "tier",
    "host_org_name",
    "address",
    "lat",
    "lng",
    "seats",
    "phone",
    "amenities",
    "is_public",
)


def _watermark_prefixes() -> set[str]:
    return {
        p
        for p in tabular.in_every_language(
            lambda: _("Exported by: %(watermark)s") % {"watermark": ""}
        )
        if p
    }
