"""A read-only Open Referral HSDS 3.0 API at ``/hsds/`` over the public stations (docs/hsds.md).

HSDS (Human Services Data Specification) is how directories of human services exchange data.
Each public, in-service station is one HSDS ``location`` (the place), one ``service`` (the rest
stop it offers, named after the station) and one ``service_at_location`` joining them; the host
organisation (``Station.host_org_name``, until the organisation registry lands) is an HSDS
``organization``, with the site itself standing in for stations without one. Amenities are HSDS
``attributes`` whose taxonomy terms come from the ``warmbee-amenity`` taxonomy.

Identifiers are UUIDs derived (uuid5) from the station's public code, so links are stable and
reveal no sequence numbers. Nothing personal is read or shown: no hosts, check-ins, feedback or
free-text notes written by hosts — only what the public finder already shows.

Extensions (documented in docs/hsds.md, allowed because the HSDS schemas do not forbid
additional properties): ``lat``/``lng``/``radius``/``open_now``/``amenity`` on the service and
service-at-location lists, a ``distance`` (metres) on their items when a point is given, and
``GET /locations/{id}``.
"""

import datetime as dt
import math
import uuid
import weakref
from functools import cached_property

import numpy as np
from django.conf import settings
from django.db.models import F, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from warmbee.core.errors import DomainError, NotFound

from . import finder, hours
from .models import Amenity, HoursException, Station, StationAmenity
from .selectors import MAX_RADIUS_M

HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://openreferral.org/imports/hsds/"
SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
MAX_AGE = 60
PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_AMENITY_FILTERS = 20
MAX_SEARCH_WORDS = 5
# How far back to look for a station the finder index has not caught up with (it refreshes
# within FINDER_REFRESH_SECONDS; this is generous).
RECENT = dt.timedelta(minutes=10)

# Every HSDS id is uuid5(NAMESPACE, "<kind>:<key>"). Never change this: ids would all move.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:warmbee:hsds")
AMENITY_TAXONOMY = "warmbee-amenity"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The kinds of HSDS record made from each station (their ids map back to the station code).
STATION_KINDS = ("location", "service", "sal")

api = NinjaAPI(
    title="WarmBee HSDS 3.0",
    version=HSDS_VERSION,
    description=(
        "Open Referral HSDS 3.0 read API over the public stations (profile "
        f"{HSDS_PROFILE}). Public, no authentication. Errors are "
        '{"code", "message", "field"}. Extensions: lat, lng, radius (metres), open_now and '
        "amenity on /services and /service_at_locations; see docs/hsds.md."
    ),
    urls_namespace="hsds",
    docs_url=None,
)


# --- errors: the same shape and messages as the main API ---------------------------------------
def _register_error_handlers() -> None:
    from django.http import Http404

    from warmbee import api as main

    api.add_exception_handler(DomainError, main.on_domain_error)
    api.add_exception_handler(NinjaValidationError, main.on_validation_error)
    api.add_exception_handler(Http404, main.on_not_found)
    api.add_exception_handler(HttpError, main.on_http_error)


_register_error_handlers()


# --- identifiers ----------------------------------------------------------------------------------
def hsds_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def location_id(code: str) -> str:
    return hsds_id("location", code)


def service_id(code: str) -> str:
    return hsds_id("service", code)


def sal_id(code: str) -> str:
    return hsds_id("sal", code)


TAXONOMY_ID = hsds_id("taxonomy", AMENITY_TAXONOMY)


def term_id(code: str) -> str:
    return hsds_id("taxonomy_term", f"{AMENITY_TAXONOMY}:{code}")


def org_key(name: str) -> str:
    """The organisation a ``host_org_name`` denotes ("" for the site's fallback)."""
    return " ".join((name or "").split())


def org_id(key: str) -> str:
    return hsds_id("organization", key)


# HSDS id → station code, per finder index (built once per index, on first use): an id is found
# without a database scan, and an unknown id costs a dictionary lookup.
_id_maps: "weakref.WeakKeyDictionary[finder.FinderIndex, dict[str, str]]" = (
    weakref.WeakKeyDictionary()
)


def _id_map(index: finder.FinderIndex) -> dict[str, str]:
    ids = _id_maps.get(index)
    if ids is None:
        ids = {hsds_id(kind, code): code for code in index.code for kind in STATION_KINDS}
        _id_maps[index] = ids
    return ids


def _station_by_id(kind: str, value: str) -> Station:
    try:
        value = str(uuid.UUID(value))
    except ValueError:
        raise NotFound(_("Not found.")) from None
    code = _id_map(finder.get_index()).get(value)
    if code is None:
        # Not in the index (yet): a station that became public in the last moments has been
        # saved recently (creating, reopening and publishing all touch ``updated_at``).
        recent = Station.objects.public().filter(updated_at__gte=timezone.now() - RECENT)
        for candidate in recent.order_by().values_list("code", flat=True):
            if hsds_id(kind, candidate) == value:
                code = candidate
                break
    if code is None or hsds_id(kind, code) != value:
        raise NotFound(_("Not found."))
    # The index may lag the database by a few seconds: the station must be public now.
    stations = _load([code], by="code")
    if not stations:
        raise NotFound(_("Not found."))
    return stations[0]


# --- responses ------------------------------------------------------------------------------------
def _public(response: HttpResponse) -> None:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    # The language (of labels and descriptions) comes from the language cookie.
    patch_vary_headers(response, ("Cookie",))


def _page(total: int, page: int, per_page: int, contents: list) -> dict:
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _slice(items: list, page: int, per_page: int) -> list:
    start = (page - 1) * per_page
    return items[start : start + per_page]


def _absolute(request: HttpRequest, name: str, *args) -> str | None:
    try:
        return request.build_absolute_uri(reverse(name, args=args))
    except NoReverseMatch:
        return None


def _page_schema(item_ref: str) -> dict:
    """OpenAPI for a page of ``item_ref`` (a schema of the official HSDS 3.0 repository)."""
    return {
        "responses": {
            200: {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "total_items": {"type": "integer"},
                                "total_pages": {"type": "integer"},
                                "page_number": {"type": "integer"},
                                "size": {"type": "integer"},
                                "first_page": {"type": "boolean"},
                                "last_page": {"type": "boolean"},
                                "empty": {"type": "boolean"},
                                "contents": {
                                    "type": "array",
                                    "items": {"$ref": SCHEMA_BASE + item_ref},
                                },
                            },
                        }
                    }
                },
            }
        }
    }


def _one_schema(ref: str) -> dict:
    return {
        "responses": {
            200: {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": SCHEMA_BASE + ref}}},
            }
        }
    }


# --- loading --------------------------------------------------------------------------------------
def _load(keys: list, *, by: str = "pk") -> list[Station]:
    """Public stations by pk (or code), in the order given, with what the documents need."""
    if not keys:
        return []
    today = timezone.localdate()
    stations = (
        Station.objects.public()
        .filter(**{f"{by}__in": keys})
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "amenity_links",
                queryset=StationAmenity.objects.filter(amenity__is_active=True)
                .select_related("amenity")
                .order_by("amenity__sort", "amenity_id"),
            ),
            Prefetch(
                "exceptions",
                queryset=HoursException.objects.filter(date__gte=today).order_by("date"),
                to_attr="upcoming_exceptions",
            ),
        )
    )
    found = {getattr(s, by): s for s in stations}
    return [found[k] for k in keys if k in found]


def _region_names(stations: list[Station]) -> dict[str, tuple[str, str]]:
    """Region code → (name, level) for every region above or at the stations."""
    from warmbee.regions.models import Region

    codes = {c for s in stations for c in s.region.path.strip("/").split("/") if c}
    return {
        code: (name, level)
        for code, name, level in Region.objects.filter(code__in=codes).values_list(
            "code", "name", "level"
        )
    }


def _organisations() -> dict[str, dict]:
    """HSDS organisation id → {"key", "names" (raw host_org_name values)}, for public stations."""
    orgs: dict[str, dict] = {}
    names = Station.objects.public().order_by().values_list("host_org_name", flat=True)
    for raw in names.distinct():
        key = org_key(raw)
        entry = orgs.setdefault(org_id(key), {"key": key, "names": set()})
        entry["names"].add(raw)
    return orgs


# --- documents ------------------------------------------------------------------------------------
class Docs:
    """Builds the HSDS documents for one request (the same moment, language and site)."""

    def __init__(self, request: HttpRequest, stations: list[Station] = ()):
        self.request = request
        self.now = timezone.now()
        local = timezone.localtime(self.now)
        offset = local.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        self.tz_hours = minutes / 60 if minutes % 60 else minutes // 60
        self.tz_suffix = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        self.language = "zh" if (get_language() or "zh").startswith("zh") else "en"
        self.stations = list(stations)

    @cached_property
    def regions(self) -> dict[str, tuple[str, str]]:
        return _region_names(self.stations)

    # organisations
    def organization(self, key: str) -> dict:
        if key:
            doc = {
                "id": org_id(key),
                "name": key,
                "description": _("Hosts stations listed on %(site)s.")
                % {"site": settings.SITE_NAME},
            }
        else:
            doc = {
                "id": org_id(""),
                "name": settings.SITE_NAME,
                "description": _("Stations on %(site)s that name no host organisation.")
                % {"site": settings.SITE_NAME},
                "website": self.request.build_absolute_uri("/"),
            }
        return doc

    def station_org(self, station: Station) -> dict:
        return self.organization(org_key(station.host_org_name))

    # taxonomy
    def taxonomy(self) -> dict:
        return {
            "id": TAXONOMY_ID,
            "name": AMENITY_TAXONOMY,
            "description": _("What %(site)s stations offer (the amenity vocabulary).")
            % {"site": settings.SITE_NAME},
            "version": "1",
        }

    def term(self, amenity: Amenity) -> dict:
        return {
            "id": term_id(amenity.code),
            "code": amenity.code,
            "name": amenity.label,
            "description": f"{amenity.name} / {amenity.name_en}",
            "taxonomy": AMENITY_TAXONOMY,
            "taxonomy_id": TAXONOMY_ID,
            "taxonomy_detail": self.taxonomy(),
            "language": self.language,
        }

    def attributes(self, station: Station) -> list[dict]:
        sid = service_id(station.code)
        return [
            {
                "id": hsds_id("attribute", f"{station.code}:{link.amenity_id}"),
                "link_id": sid,
                "link_type": "amenity",
                "link_entity": "service",
                "taxonomy_term_id": term_id(link.amenity_id),
                "taxonomy_term": self.term(link.amenity),
            }
            for link in station.amenity_links.all()
        ]

    # schedules
    def _time(self, minutes: int) -> str:
        minutes %= hours.DAY
        return f"{minutes // 60:02d}:{minutes % 60:02d}{self.tz_suffix}"

    def _closes(self, start: int, end: int) -> str:
        """A closing time before the opening time runs past midnight; a whole day ends a
        minute early (HSDS's "00:00 to 23:59" signal for 24 hours)."""
        return self._time(end - 1 if end - start >= hours.DAY else end)

    def schedules(self, station: Station) -> list[dict]:
        loc = location_id(station.code)
        schedule = finder.schedule_of(station.always_open, station.weekly_hours)
        valid_from = timezone.localtime(station.updated_at).date().isoformat()
        common = {"location_id": loc, "timezone": self.tz_hours, "freq": "WEEKLY", "wkst": "MO"}
        result = []
        if schedule.always_open:
            result.append(
                {
                    "id": hsds_id("schedule", f"{station.code}:always"),
                    **common,
                    "valid_from": valid_from,
                    "byday": ",".join(DAYS),
                    "opens_at": self._time(0),
                    "closes_at": self._closes(0, hours.DAY),
                    "description": _("Open 24 hours"),
                }
            )
        else:
            # One schedule per distinct interval, on every weekday that has it.
            days_of: dict[tuple[int, int], list[int]] = {}
            for day, intervals in enumerate(schedule.week):
                for iv in intervals:
                    days_of.setdefault(iv, []).append(day)
            for (start, end), days in sorted(days_of.items()):
                byday = ",".join(DAYS[d] for d in days)
                week = tuple(((start, end),) if d in days else () for d in range(7))
                result.append(
                    {
                        "id": hsds_id("schedule", f"{station.code}:{byday}:{start}-{end}"),
                        **common,
                        "valid_from": valid_from,
                        "byday": byday,
                        "opens_at": self._time(start),
                        "closes_at": self._closes(start, end),
                        "description": hours.Schedule(False, week).summary(),
                    }
                )
        for exc in station.upcoming_exceptions:
            day = exc.date.isoformat()
            doc = {
                "id": hsds_id("schedule", f"{station.code}:{day}"),
                **common,
                "valid_from": day,
                "valid_to": day,
                "dtstart": day,
                "until": day,
                "byday": DAYS[exc.date.weekday()],
            }
            if exc.closed:
                doc["description"] = _("Closed all day on %(date)s.") % {"date": day}
            else:
                start, end = hours.interval(exc.opens, exc.closes)
                doc.update(
                    opens_at=self._time(start),
                    closes_at=self._closes(start, end),
                    description=_("Special hours on %(date)s: %(hours)s.")
                    % {"date": day, "hours": hours.format_interval((start, end))},
                )
            result.append(doc)
        return result

    # locations
    def address(self, station: Station) -> dict:
        names = {}
        for code in station.region.path.strip("/").split("/"):
            if code in self.regions:
                name, level = self.regions[code]
                names.setdefault(level, name)
        province = names.get("province", "")
        city = names.get("prefecture") or province or station.region.name
        return {
            "id": hsds_id("address", station.code),
            "location_id": location_id(station.code),
            "address_1": station.address,
            "city": city,
            "region": province,
            "state_province": province,
            "postal_code": "",
            "country": "CN",
            "address_type": "physical",
        }

    def location(self, station: Station, *, full: bool = False) -> dict:
        doc = {
            "id": location_id(station.code),
            "location_type": "physical",
            "organization_id": org_id(org_key(station.host_org_name)),
            "name": station.name,
            "description": station.description,
            "latitude": round(station.lat, 6),
            "longitude": round(station.lng, 6),
            "external_identifier": station.code,
            "external_identifier_type": "warmbee-station-code",
        }
        if full:
            doc["addresses"] = [self.address(station)]
            doc["phones"] = (
                [
                    {
                        "id": hsds_id("phone", station.code),
                        "location_id": location_id(station.code),
                        "number": station.phone,
                        "type": "voice",
                    }
                ]
                if station.phone
                else []
            )
            doc["schedules"] = self.schedules(station)
        return doc

    # services
    def status(self, station: Station) -> str:
        live = hours.Live(status=station.status, reopens_at=station.reopens_at)
        return "temporarily closed" if hours.closed_by_status(live, self.now) else "active"

    def service(self, station: Station, *, full: bool = False, with_sal: bool = True) -> dict:
        changed = max(filter(None, (station.updated_at, station.status_changed_at)))
        doc = {
            "id": service_id(station.code),
            "organization_id": org_id(org_key(station.host_org_name)),
            "name": station.name,
            "alternate_name": _("Station rest service"),
            "description": station.description or str(station.get_kind_display()),
            "status": self.status(station),
            "last_modified": timezone.localtime(changed).isoformat(timespec="milliseconds"),
            "organization": self.station_org(station),
        }
        url = _absolute(self.request, "stations:detail", station.code)
        if url:
            doc["url"] = url
        verified = [link.verified_on for link in station.amenity_links.all()]
        if verified:
            doc["assured_date"] = max(verified).isoformat()
        if full:
            doc["attributes"] = self.attributes(station)
            if with_sal:
                doc["service_at_locations"] = [self.service_at_location(station, full=True)]
        return doc

    def service_at_location(self, station: Station, *, full: bool = False) -> dict:
        return {
            "id": sal_id(station.code),
            "service_id": service_id(station.code),
            "location_id": location_id(station.code),
            "location": self.location(station, full=full),
        }

    def sal_item(self, station: Station, *, full: bool = False) -> dict:
        doc = self.service_at_location(station, full=full)
        doc["service"] = self.service(station, full=full, with_sal=False)
        return doc


# --- query parameters -----------------------------------------------------------------------------
class PageParams(Schema):
    page: int = Field(1, ge=1, description="Page number (from 1).")
    per_page: int = Field(PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Items per page.")
    search: str = Field("", max_length=100, description="Words in the name or address.")
    format: str | None = Field(None, description="Only json is available.")


class StationFilters(PageParams):
    organization_id: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    modified_after: dt.datetime | None = Field(
        None, description="Only items changed at or after this date-time."
    )
    full: bool = Field(False, description="Fully nested items.")
    # Extensions (not in HSDS 3.0).
    lat: float | None = Field(None, description="Extension: WGS-84 latitude; nearest first.")
    lng: float | None = Field(None, description="Extension: WGS-84 longitude.")
    radius: float | None = Field(None, description="Extension: metres around lat/lng.")
    open_now: bool = Field(False, description="Extension: only stations open now.")
    amenity: list[str] = Field(
        default_factory=list,
        max_length=MAX_AMENITY_FILTERS,
        description="Extension: amenity codes (repeatable or comma separated); all must be offered.",
    )


def _check_format(params: PageParams) -> None:
    if params.format not in (None, "", "json"):
        raise DomainError(_("Only the json format is available."), code="format", field="format")


def _words(search: str) -> list[str]:
    return search.split()[:MAX_SEARCH_WORDS]


def _point(f: StationFilters) -> tuple[float, float] | None:
    """The validated point of a nearest-first query (messages as the finder's)."""
    if f.lat is None and f.lng is None:
        if f.radius is not None:
            raise DomainError(_("Give both lat and lng."), code="required", field="lat")
        return None
    if f.lat is None or f.lng is None:
        missing = "lat" if f.lat is None else "lng"
        raise DomainError(_("Give both lat and lng."), code="required", field=missing)
    if not (-90 <= f.lat <= 90):
        raise DomainError(_("Latitude must be between -90 and 90."), code="range", field="lat")
    if not (-180 <= f.lng <= 180):
        raise DomainError(_("Longitude must be between -180 and 180."), code="range", field="lng")
    if f.radius is not None and not (0 < f.radius <= MAX_RADIUS_M):
        raise DomainError(
            _("The radius must be between 1 and %(max)d metres.") % {"max": MAX_RADIUS_M},
            code="range",
            field="radius",
        )
    return f.lat, f.lng


def _select(f: StationFilters, now: dt.datetime) -> tuple[int, list[tuple[int, float | None]]]:
    """How many stations pass the filters, and the requested page of them as (pk, distance in
    metres or None), nearest first when a point is given, else by region and name.

    With a point, the whole filtered set is ranked in the finder index's arrays (vectorised,
    milliseconds for 100 000 stations) rather than by ``FinderIndex.nearest``, which would build
    one hit per station to count them all; the distances and the open-now rule are the same.
    """
    _check_format(f)
    point = _point(f)
    codes = [code.strip() for value in f.amenity for code in value.split(",") if code.strip()]
    index = finder.get_index() if (point or f.open_now or codes or f.taxonomy_term_id) else None
    mask = 0
    if codes:
        try:
            mask = index.amenity_mask(codes)
        except KeyError as exc:
            raise DomainError(
                _("Unknown amenity: %(code)s.") % {"code": exc.args[0]},
                code="amenity",
                field="amenity",
            ) from None
    if f.taxonomy_term_id:
        terms = {term_id(code): code for code in index.amenity_bits}
        code = terms.get(f.taxonomy_term_id.strip().lower())
        if code is None:
            return 0, []
        mask |= index.amenity_mask([code])
    qs = Station.objects.public()
    narrowed = False  # by a database-only filter
    for word in _words(f.search):
        qs = qs.filter(Q(name__contains=word) | Q(address__contains=word))
        narrowed = True
    if f.modified_after is not None:
        since = f.modified_after
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        qs = qs.filter(Q(updated_at__gte=since) | Q(status_changed_at__gte=since))
        narrowed = True
    if f.organization_id:
        org = _organisations().get(f.organization_id.strip().lower())
        if org is None:
            return 0, []
        qs = qs.filter(host_org_name__in=org["names"])
        narrowed = True
    if f.taxonomy_id:
        if f.taxonomy_id.strip().lower() != TAXONOMY_ID:
            return 0, []
        qs = qs.exclude(amenity_bits=0)
        narrowed = True
    start = (f.page - 1) * f.per_page
    stop = start + f.per_page

    if point is not None:
        keep = np.ones(index.size, dtype=bool)
        if mask:
            keep &= (index.masks & mask) == mask
        if narrowed:
            ids = np.fromiter(qs.order_by().values_list("id", flat=True), dtype=np.int64)
            keep &= np.isin(index.ids, ids)
        metres = finder.haversine_m(point[0], point[1], index.lat, index.lng)
        if f.radius is not None:
            keep &= metres <= f.radius
        candidates = np.flatnonzero(keep)
        if f.open_now and len(candidates):
            candidates = candidates[index.open_mask(candidates, now)]
        order = candidates[np.argsort(metres[candidates], kind="stable")]
        # A station that left the public list in the last seconds is dropped by ``_load``.
        return len(order), [(int(index.ids[i]), float(metres[i])) for i in order[start:stop]]

    if mask:
        qs = qs.alias(wanted=F("amenity_bits").bitand(mask)).filter(wanted=mask)
    qs = qs.order_by("region_id", "name", "id")
    if not f.open_now:
        return qs.count(), [(pk, None) for pk in qs.values_list("id", flat=True)[start:stop]]
    pks = np.fromiter(qs.values_list("id", flat=True), dtype=np.int64)
    positions = np.fromiter((index.position.get(int(pk), -1) for pk in pks), dtype=np.int64)
    is_open = np.zeros(len(pks), dtype=bool)
    known = positions >= 0  # a station not yet in the index is not known to be open
    if known.any():
        is_open[known] = index.open_mask(positions[known], now)
    kept = pks[is_open]
    return len(kept), [(int(pk), None) for pk in kept[start:stop]]


def _station_page(request, f: StationFilters, build) -> dict:
    total, window = _select(f, timezone.now())
    stations = _load([pk for pk, _d in window])
    docs = Docs(request, stations)
    distance = dict(window)
    contents = []
    for station in stations:
        item = build(docs, station)
        if distance[station.pk] is not None:
            item["distance"] = round(distance[station.pk], 1)
        contents.append(item)
    return _page(total, f.page, f.per_page, contents)


# --- endpoints ------------------------------------------------------------------------------------
@api.get(
    "/",
    auth=None,
    summary="About this API",
    operation_id="getAPIMetaInformation",
    openapi_extra={
        "responses": {
            200: {
                "description": "OK",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "version": {"type": "string"},
                                "profile": {"type": "string", "format": "uri"},
                                "openapi_url": {"type": "string", "format": "uri"},
                            },
                        }
                    }
                },
            }
        }
    },
)
def meta(request, response: HttpResponse):
    """The HSDS version, profile and OpenAPI document of this API."""
    _public(response)
    return {
        "version": HSDS_VERSION,
        "profile": HSDS_PROFILE,
        "openapi_url": _absolute(request, "hsds:openapi-json"),
    }


@api.get(
    "/services",
    auth=None,
    summary="Paginated services",
    operation_id="getPaginatedListOfServices",
    openapi_extra=_page_schema("compiled/service_list.json"),
)
def service_list(request, response: HttpResponse, filters: Query[StationFilters]):
    """One service per public station. With ``lat`` and ``lng``: nearest first, with
    ``distance`` in metres (extension)."""
    page = _station_page(request, filters, lambda d, s: d.service(s, full=filters.full))
    _public(response)
    return page


@api.get(
    "/services/{id}",
    auth=None,
    summary="One fully nested service",
    operation_id="getFullyNestedServiceById",
    openapi_extra=_one_schema("compiled/service.json"),
)
def service_detail(request, response: HttpResponse, id: str):
    station = _station_by_id("service", id)
    doc = Docs(request, [station]).service(station, full=True)
    _public(response)
    return doc


@api.get(
    "/service_at_locations",
    auth=None,
    summary="Paginated services at locations",
    operation_id="getPaginatedListOfServiceAtLocation",
    openapi_extra=_page_schema("compiled/service_at_location_list.json"),
)
def sal_list(request, response: HttpResponse, filters: Query[StationFilters]):
    """One service-at-location per public station; the same filters and extensions as
    ``/services``."""
    page = _station_page(request, filters, lambda d, s: d.sal_item(s, full=filters.full))
    _public(response)
    return page


@api.get(
    "/service_at_locations/{id}",
    auth=None,
    summary="One fully nested service at location",
    operation_id="getServiceAtLocationWithNestedDataById",
    openapi_extra=_one_schema("service_at_location.json"),
)
def sal_detail(request, response: HttpResponse, id: str):
    station = _station_by_id("sal", id)
    doc = Docs(request, [station]).sal_item(station, full=True)
    _public(response)
    return doc


@api.get(
    "/locations/{id}",
    auth=None,
    summary="One location (extension)",
    operation_id="getLocationById",
    openapi_extra=_one_schema("location.json"),
)
def location_detail(request, response: HttpResponse, id: str):
    station = _station_by_id("location", id)
    doc = Docs(request, [station]).location(station, full=True)
    _public(response)
    return doc


@api.get(
    "/organizations",
    auth=None,
    summary="Paginated organizations",
    operation_id="getPaginatedListOfOrganizations",
    openapi_extra=_page_schema("compiled/organization_list.json"),
)
def organization_list(request, response: HttpResponse, params: Query[PageParams]):
    """The host organisations of public stations, and the site for stations without one."""
    _check_format(params)
    docs = Docs(request)
    items = sorted(
        (docs.organization(org["key"]) for org in _organisations().values()),
        key=lambda o: (o["name"], o["id"]),
    )
    words = _words(params.search)
    items = [o for o in items if all(w.casefold() in o["name"].casefold() for w in words)]
    page = _page(
        len(items), params.page, params.per_page, _slice(items, params.page, params.per_page)
    )
    _public(response)
    return page


@api.get(
    "/organizations/{id}",
    auth=None,
    summary="One organization",
    operation_id="getOrganizationById",
    openapi_extra=_one_schema("organization.json"),
)
def organization_detail(request, response: HttpResponse, id: str):
    """The organisation with its services (id and name only)."""
    org = _organisations().get(id.strip().lower())
    if org is None:
        raise NotFound(_("Not found."))
    doc = Docs(request).organization(org["key"])
    rows = (
        Station.objects.public()
        .filter(host_org_name__in=org["names"])
        .order_by("region_id", "name", "id")
        .values_list("code", "name")
    )
    doc["services"] = [{"id": service_id(code), "name": name} for code, name in rows]
    _public(response)
    return doc


def _amenities() -> list[Amenity]:
    return list(Amenity.objects.filter(is_active=True).order_by("sort", "code"))


@api.get(
    "/taxonomies",
    auth=None,
    summary="Paginated taxonomies",
    operation_id="getPaginatedListOfTaxonomies",
    openapi_extra=_page_schema("taxonomy.json"),
)
def taxonomy_list(request, response: HttpResponse, params: Query[PageParams]):
    _check_format(params)
    items = [Docs(request).taxonomy()]
    words = _words(params.search)
    items = [t for t in items if all(w.casefold() in t["name"].casefold() for w in words)]
    page = _page(
        len(items), params.page, params.per_page, _slice(items, params.page, params.per_page)
    )
    _public(response)
    return page


@api.get(
    "/taxonomies/{id}",
    auth=None,
    summary="One taxonomy",
    operation_id="getTaxonomyById",
    openapi_extra=_one_schema("taxonomy.json"),
)
def taxonomy_detail(request, response: HttpResponse, id: str):
    if id.strip().lower() != TAXONOMY_ID:
        raise NotFound(_("Not found."))
    _public(response)
    return Docs(request).taxonomy()


class TermParams(PageParams):
    taxonomy_id: str | None = None


@api.get(
    "/taxonomy_terms",
    auth=None,
    summary="Paginated taxonomy terms",
    operation_id="getPaginatedListOfTaxonomyTerms",
    openapi_extra=_page_schema("taxonomy_term.json"),
)
def term_list(request, response: HttpResponse, params: Query[TermParams]):
    """The amenity vocabulary as taxonomy terms (``code`` is the ``amenity`` filter value)."""
    _check_format(params)
    docs = Docs(request)
    items = [docs.term(a) for a in _amenities()]
    if params.taxonomy_id and params.taxonomy_id.strip().lower() != TAXONOMY_ID:
        items = []
    words = _words(params.search)
    items = [
        t
        for t in items
        if all(
            w.casefold() in f"{t['code']} {t['name']} {t['description']}".casefold() for w in words
        )
    ]
    page = _page(
        len(items), params.page, params.per_page, _slice(items, params.page, params.per_page)
    )
    _public(response)
    return page


@api.get(
    "/taxonomy_terms/{id}",
    auth=None,
    summary="One taxonomy term",
    operation_id="getTaxonomyTermById",
    openapi_extra=_one_schema("taxonomy_term.json"),
)
def term_detail(request, response: HttpResponse, id: str):
    wanted = id.strip().lower()
    for amenity in _amenities():
        if term_id(amenity.code) == wanted:
            _public(response)
            return Docs(request).term(amenity)
    raise NotFound(_("Not found."))
