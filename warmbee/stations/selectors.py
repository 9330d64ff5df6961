"""Station reads: the public finder and directory, the host's and the officer's views."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Q
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from warmbee.accounts.roles import Perm
from warmbee.accounts.scoping import access, has_perm
from warmbee.core.errors import DomainError, NotFound
from warmbee.core.maps import GCJ02, convert, navigation_links
from warmbee.regions.models import Region

from . import finder, hours
from .models import CheckIn, Feedback, FeedbackKind, FeedbackStatus, Station, StationHost

MAX_RADIUS_M = 200_000
MAX_LIMIT = 50


# --- the public finder -------------------------------------------------------------------------
@dataclass(frozen=True)
class NearbyQuery:
    lat: float
    lng: float
    limit: int = 10
    radius_m: float | None = None
    open_now: bool = False
    amenities: tuple[str, ...] = ()


def nearby(query: NearbyQuery, *, at: dt.datetime | None = None) -> list[dict]:
    """The nearest public stations passing the filters, as public dictionaries (no PI)."""
    index, hits, at = _search(query, at)
    return payloads(index, [h.index for h in hits], [h.distance_m for h in hits], at)


def _search(query: NearbyQuery, at: dt.datetime | None):
    if not (-90 <= query.lat <= 90):
        raise DomainError(_("Latitude must be between -90 and 90."), code="range", field="lat")
    if not (-180 <= query.lng <= 180):
        raise DomainError(_("Longitude must be between -180 and 180."), code="range", field="lng")
    if query.radius_m is not None and not (0 < query.radius_m <= MAX_RADIUS_M):
        raise DomainError(
            _("The radius must be between 1 and %(max)d metres.") % {"max": MAX_RADIUS_M},
            code="range",
            field="radius",
        )
    index = finder.get_index()
    try:
        mask = index.amenity_mask(query.amenities)
    except KeyError as exc:
        raise DomainError(
            _("Unknown amenity: %(code)s.") % {"code": exc.args[0]}, code="amenity", field="amenity"
        ) from None
    at = at or timezone.now()
    hits = index.nearest(
        query.lat,
        query.lng,
        limit=max(1, min(query.limit, MAX_LIMIT)),
        radius_m=query.radius_m,
        amenity_mask=mask,
        open_at=at if query.open_now else None,
    )
    return index, hits, at


def _static(index: finder.FinderIndex, i: int) -> dict:
    """The parts of a station's payload that change only when the index is rebuilt."""
    lat, lng = float(index.lat[i]), float(index.lng[i])
    name = index.name[i]
    return {
        "code": index.code[i],
        "name": name,
        "kind": index.kind[i],
        "tier": index.tier[i],
        "address": index.address[i],
        "region": index.region_id[i],
        "lat": round(lat, 6),
        "lng": round(lng, 6),
        # The same point on GCJ-02 maps (Amap, Tencent), for clients drawing on those tiles.
        "gcj02": [round(v, 6) for v in convert(lat, lng, GCJ02)],
        "hours": index.summaries[index.schedule_ids[i]],
        "amenities": index.amenity_codes(int(index.masks[i])),
        "seats": index.seats[i],
        "phone": index.phone[i],
        "nav": navigation_links(lat=lat, lng=lng, name=name),
    }


def _dynamic(index: finder.FinderIndex, i: int, distance_m, open_now: bool) -> dict:
    live = index.live.get(i)
    return {
        "distance_m": None if distance_m is None else round(distance_m),
        "open_now": open_now,
        "status": live.status if live else "open",
        "reopens_at": live.reopens_at.isoformat() if live and live.reopens_at else None,
    }


def payloads(
    index: finder.FinderIndex, idx: list[int], distances: list[float | None], at: dt.datetime
) -> list[dict]:
    """Stations as the finder and the public API show them (no personal data)."""
    flags = index.open_flags(idx, at) if idx else []
    return [
        {**_static(index, i), **_dynamic(index, i, distance_m, open_now)}
        for i, distance_m, open_now in zip(idx, distances, flags, strict=True)
    ]


# Encoded station fragments kept per index and language: strings, so the garbage collector
# never walks them (ADR 0005). Bounded; a rebuilt index starts empty.
FRAGMENT_CACHE_LIMIT = 250_000


def _fragment(index: finder.FinderIndex, i: int, key: int | None = None) -> str:
    """The station's static JSON object without its closing brace (``key``: see below)."""
    if key is None:
        key = _fragment_key(i)
    text = index.static.get(key)
    if text is None:
        text = json.dumps(_static(index, i), ensure_ascii=False, separators=(",", ":"))[:-1]
        if len(index.static) >= FRAGMENT_CACHE_LIMIT:
            index.static.clear()
        index.static[key] = text
    return text


def _fragment_key(i: int, chinese: bool | None = None) -> int:
    """Fragments differ by language (navigation labels): Chinese ``i``, others ``-1 - i``."""
    if chinese is None:
        chinese = (get_language() or "zh").startswith("zh")
    return i if chinese else -1 - i


def warm_fragments(index: finder.FinderIndex) -> None:
    """Encode every station's fragment in the background after a rebuild, so the first
    searches after a deploy or an edit do not pay for it (default language only)."""
    if not settings.FINDER_WARM_FRAGMENTS or index.size == 0:
        return

    def run():
        with translation.override(settings.LANGUAGE_CODE):
            for i in range(min(index.size, FRAGMENT_CACHE_LIMIT)):
                _fragment(index, i)
                if i % 512 == 0:
                    time.sleep(0)  # let request threads in

    threading.Thread(target=run, name="finder-warm", daemon=True).start()


finder.BUILD_HOOKS.append(warm_fragments)


def nearby_json(query: NearbyQuery, *, at: dt.datetime | None = None) -> str:
    """``{"count", "items"}`` of :func:`nearby`, encoded (the hot path of the public API)."""
    index, hits, at = _search(query, at)
    if not hits:
        return '{"count":0,"items":[]}'
    flags = index.open_flags([h.index for h in hits], at)
    chinese = (get_language() or "zh").startswith("zh")
    live = index.live
    items = []
    for hit, open_now in zip(hits, flags, strict=True):
        state = live.get(hit.index)
        if state is None:
            dynamic = '"status":"open","reopens_at":null}'
        else:
            reopens = state.reopens_at.isoformat() if state.reopens_at else None
            dynamic = f'"status":{json.dumps(state.status)},"reopens_at":{json.dumps(reopens)}}}'
        items.append(
            f"{_fragment(index, hit.index, _fragment_key(hit.index, chinese))}"
            f',"distance_m":{round(hit.distance_m)},"open_now":{"true" if open_now else "false"},'
            f"{dynamic}"
        )
    return f'{{"count":{len(items)},"items":[{",".join(items)}]}}'


def payload(index: finder.FinderIndex, i: int, distance_m: float | None, at: dt.datetime) -> dict:
    return payloads(index, [i], [distance_m], at)[0]


def public_station(code: str, *, lean: bool = False) -> Station:
    """A public station by its code (404 otherwise); ``lean`` loads only what a check-in needs."""
    qs = Station.objects.public().filter(code=code)
    qs = qs.only("id", "code", "is_active", "is_public") if lean else qs.select_related("region")
    station = qs.order_by().first()
    if station is None:
        raise NotFound(_("Not found."))
    return station


def station_schedule(
    station: Station, exceptions: dict | None = None
) -> tuple[hours.Schedule, hours.Live]:
    """The station's week and live layer; ``exceptions`` when already loaded for many."""
    schedule = finder.schedule_of(station.always_open, station.weekly_hours)
    if exceptions is None:
        since = timezone.localdate() - dt.timedelta(days=1)
        exceptions = finder.load_exceptions(since, station=station).get(station.pk, {})
    return schedule, hours.Live(station.status, station.reopens_at, exceptions)


def station_is_open(station: Station, at: dt.datetime | None = None) -> bool:
    schedule, live = station_schedule(station)
    return hours.is_open(schedule, live, at or timezone.now())


def mark_open_now(stations: list[Station], at: dt.datetime | None = None) -> None:
    """Set ``open_now`` on each station (a page of a list), reading exceptions in one query."""
    at = at or timezone.now()
    since = timezone.localdate(at) - dt.timedelta(days=1)
    exceptions = finder.load_exceptions(since, station_id__in=[s.pk for s in stations])
    for station in stations:
        schedule, live = station_schedule(station, exceptions.get(station.pk, {}))
        station.open_now = station.is_active and hours.is_open(schedule, live, at)


# --- who keeps a station ------------------------------------------------------------------------
def can_manage(actor, station: Station) -> bool:
    return has_perm(actor, Perm.MANAGE_STATION, station.region)


def is_host(actor, station: Station) -> bool:
    return (
        has_perm(actor, Perm.HOST_STATION, station.region)
        and StationHost.objects.filter(station=station, user=actor).exists()
    )


def is_keeper(actor, station: Station) -> bool:
    """Hosts of this station and officers who manage its region keep it current."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return can_manage(actor, station) or is_host(actor, station)


def occupancy(station: Station | int, at: dt.datetime | None = None) -> int:
    """Workers checked in during the occupancy window (live occupancy); a station or its id."""
    at = at or timezone.now()
    since = at - dt.timedelta(minutes=settings.STATION_OCCUPANCY_WINDOW_MINUTES)
    station_id = station if isinstance(station, int) else station.pk
    ops = connection.ops
    # A plain aggregate on the (station, created_at) index, no personal data; written as SQL
    # because it runs on every check-in, where the ORM's query building costs more than it.
    with connection.cursor() as cursor:
        cursor.execute(  # the model's table name is formatted in; values are parameters
            f'SELECT COUNT(*) FROM "{CheckIn._meta.db_table}" WHERE "station_id" = %s '  # noqa: S608
            'AND "created_at" > %s AND "created_at" <= %s',
            [station_id, ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(at)],
        )
        return cursor.fetchone()[0]


SMALL_COUNT = 5  # R30: public counts below this are shown as "<5"


def public_count(n: int) -> str:
    """A count for a public page: small non-zero counts could single a person out (R30)."""
    return f"<{SMALL_COUNT}" if 0 < n < SMALL_COUNT else str(n)


def rating_summary(station: Station) -> dict:
    agg = (
        Feedback.objects.unscoped(reason="aggregate rating, no personal data")
        .filter(station=station, kind="rating")
        .aggregate(avg=Avg("rating"), n=Count("id"))
    )
    return {"average": round(agg["avg"], 1) if agg["avg"] else None, "count": agg["n"]}


def public_directory(
    *,
    region: Region | None = None,
    q: str = "",
    amenities: tuple[str, ...] = (),
    open_now: bool = False,
    at: dt.datetime | None = None,
) -> list[int]:
    """Station ids for the search without location (district and address text), by name."""
    qs = Station.objects.public()
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(name__contains=word) | Q(address__contains=word))
    ids = list(qs.order_by("region_id", "name", "id").values_list("id", flat=True))
    if not (amenities or open_now):
        return ids
    index = finder.get_index()
    try:
        mask = index.amenity_mask(amenities)
    except KeyError as exc:
        raise DomainError(
            _("Unknown amenity: %(code)s.") % {"code": exc.args[0]}, code="amenity", field="amenity"
        ) from None
    at = at or timezone.now()
    kept = []
    for pk in ids:
        i = index.position.get(pk)
        if i is None or (int(index.masks[i]) & mask) != mask:
            continue
        if open_now and not index.is_open(i, at):
            continue
        kept.append(pk)
    return kept


# --- hosts ---------------------------------------------------------------------------------------
def hosted_stations(actor) -> list[Station]:
    if not has_perm(actor, Perm.HOST_STATION):
        return []
    ids = StationHost.objects.filter(user=actor).values_list("station_id", flat=True)
    stations = (
        Station.objects.visible_to(actor, Perm.HOST_STATION)
        .filter(pk__in=list(ids))
        .select_related("region")
    )
    return list(stations)


def keeper_station(actor, code: str) -> Station:
    """A station the actor keeps (hosts it, or manages its region); otherwise 404."""
    station = Station.objects.unscoped(reason="checked below").select_related("region")
    station = station.filter(code=code).first()
    if station is None or not is_keeper(actor, station):
        raise NotFound(_("Not found."))
    return station


def checkins_between(station: Station, start: dt.datetime, end: dt.datetime):
    return (
        CheckIn.objects.unscoped(reason="the keeper's own station, authorised by the caller")
        .filter(station=station, created_at__gte=start, created_at__lt=end)
        .select_related("user")
        .order_by("-created_at")
    )


def today_bounds() -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return start, start + dt.timedelta(days=1)


def feedback_for(station: Station, *, open_problems: bool = False):
    """A kept station's feedback, newest first; ``open_problems``: the host's queue (problem
    reports not yet resolved or dismissed — ratings need no handling)."""
    qs = Feedback.objects.unscoped(reason="the keeper's own station, authorised by the caller")
    qs = qs.filter(station=station).select_related("user", "amenity")
    if open_problems:
        qs = qs.filter(
            kind=FeedbackKind.PROBLEM,
            status__in=[FeedbackStatus.OPEN, FeedbackStatus.ACKNOWLEDGED],
        )
    return qs


# --- officers ------------------------------------------------------------------------------------
def station_list(
    *,
    actor,
    region: Region | None = None,
    q: str = "",
    tier: int | None = None,
    status: str = "",
    active: bool | None = True,
):
    qs = Station.objects.visible_to(actor, Perm.VIEW_STATION).select_related("region")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(name__contains=word) | Q(address__contains=word) | Q(code=word))
    if tier:
        qs = qs.filter(tier=tier)
    if status:
        qs = qs.filter(status=status)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("region_id", "name", "id")


def access_station(actor, code: str, perm: str = Perm.VIEW_STATION) -> Station:
    return access(Station, actor, perm, code=code)


def usage_by_station(*, actor, days: int = 7, at: dt.datetime | None = None) -> dict[int, int]:
    """Check-ins per station over the last ``days`` days, in the actor's scope."""
    at = at or timezone.now()
    rows = (
        CheckIn.objects.visible_to(actor, Perm.VIEW_STATION)
        .filter(created_at__gt=at - dt.timedelta(days=days), created_at__lte=at)
        .values("station_id")
        .annotate(n=Count("id"))
    )
    return {row["station_id"]: row["n"] for row in rows}


def stations_per_district(*, actor) -> list[dict]:
    """In-service stations per county-level region in the actor's scope, with tiers."""
    stations = Station.objects.visible_to(actor, Perm.VIEW_STATION).filter(is_active=True)
    counts: dict[str, dict] = {}
    for path, tier in stations.values_list("region__path", "tier"):
        parts = path.strip("/").split("/")
        county = parts[2] if len(parts) >= 3 else parts[-1]
        row = counts.setdefault(county, {"code": county, "total": 0, 1: 0, 2: 0, 3: 0})
        row["total"] += 1
        row[tier] += 1
    names = dict(Region.objects.filter(code__in=list(counts)).values_list("code", "name"))
    result = []
    for code in sorted(counts):
        row = counts[code]
        result.append(
            {
                "code": code,
                "name": names.get(code, code),
                "total": row["total"],
                "tier1": row[1],
                "tier2": row[2],
                "tier3": row[3],
            }
        )
    return result
