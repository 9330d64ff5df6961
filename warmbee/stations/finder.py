"""The nearest-open-now finder: an in-memory k-d tree over the public stations, per process.

Why in memory (ADR 0005): the finder is the platform's hottest public path, and a k-d tree in
the process answers "the 10 nearest" in tens of microseconds on SQLite and PostgreSQL alike,
with no PostGIS or SpatiaLite to install. The tree holds unit vectors on the sphere, so the
straight-line (chord) order is exactly the great-circle order; filters (amenities, open now)
are applied to candidates in that order, widening the search until enough stations pass.

Freshness: every service that changes what the finder shows calls ``invalidate()`` after its
transaction commits; each process checks the shared token (in the cache) at most every
``FINDER_REFRESH_SECONDS`` and rebuilds. Live status and date exceptions are a separate, small
"live" layer so a host pressing "full" does not rebuild the tree.

The index never sees a courier: coordinates arrive with the request and are forgotten (R31).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from scipy.spatial import cKDTree

from . import hours
from .models import Amenity, HoursException, Station

EARTH_RADIUS_M = 6_371_008.8
TOKEN_KEY = "stations:finder:%s"


def unit_vectors(lat, lng) -> np.ndarray:
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    lng_r = np.radians(np.asarray(lng, dtype=np.float64))
    cos_lat = np.cos(lat_r)
    return np.stack([cos_lat * np.cos(lng_r), cos_lat * np.sin(lng_r), np.sin(lat_r)], axis=-1)


def chord_to_metres(chord):
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(np.asarray(chord) / 2, 1.0))


def metres_to_chord(metres: float) -> float:
    return 2 * math.sin(min(metres / EARTH_RADIUS_M, math.pi) / 2)


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (vectorised); used by tests and the client-side re-rank."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def schedule_of(always_open: bool, weekly: list) -> hours.Schedule:
    rows = []
    for weekday, opens, closes in weekly or ():
        rows.append((int(weekday), dt.time.fromisoformat(opens), dt.time.fromisoformat(closes)))
    return hours.Schedule.from_rows(always_open, rows)


@dataclass
class Hit:
    index: int
    distance_m: float
    open_now: bool | None


class FinderIndex:
    """An immutable snapshot of the public stations; ``live`` is swapped in place."""

    COLUMNS = (
        "id",
        "code",
        "name",
        "kind",
        "tier",
        "address",
        "region_id",
        "lat",
        "lng",
        "always_open",
        "weekly_hours",
        "amenity_bits",
        "seats",
        "phone",
    )

    def __init__(self, rows: list[tuple], amenities: dict[str, int] | None = None):
        self.size = len(rows)
        self.amenity_bits = dict(amenities or {})  # active amenity code → bit
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in self.COLUMNS]
        data = dict(zip(self.COLUMNS, columns, strict=True))
        self.ids = np.asarray(data["id"], dtype=np.int64)
        self.position = {int(pk): i for i, pk in enumerate(self.ids)}
        self.lat = np.asarray(data["lat"], dtype=np.float64)
        self.lng = np.asarray(data["lng"], dtype=np.float64)
        self.masks = np.asarray(data["amenity_bits"], dtype=np.int64)
        self.tree = cKDTree(unit_vectors(self.lat, self.lng)) if rows else None
        # Stations share a handful of weekly patterns: store each pattern once.
        patterns: dict[tuple, int] = {}
        self.schedules: list[hours.Schedule] = []
        schedule_ids = []
        for always_open, weekly in zip(data["always_open"], data["weekly_hours"], strict=True):
            key = (bool(always_open), tuple(tuple(x) for x in weekly or ()))
            sid = patterns.get(key)
            if sid is None:
                sid = patterns[key] = len(self.schedules)
                self.schedules.append(schedule_of(*key))
            schedule_ids.append(sid)
        self.schedule_ids = np.asarray(schedule_ids, dtype=np.int32)
        self.schedule_list = schedule_ids
        self.summaries = [s.summary() for s in self.schedules]
        for name in ("code", "name", "kind", "tier", "address", "region_id", "seats", "phone"):
            setattr(self, name, list(data[name]))
        self.live: dict[int, hours.Live] = {}
        self.live_mask = np.zeros(self.size, dtype=bool)
        self._pattern_cache: tuple | None = None
        # Encoded public payload fragments by station (``selectors._fragment``).
        self.static: dict[int, str] = {}

    def open_flags(self, idx: list[int], at: dt.datetime) -> list[bool]:
        """Open-now flags for a few stations (the answer's items), in plain Python."""
        flags = self._patterns_open(at)
        sids, live = self.schedule_list, self.live
        return [self.is_open(i, at) if i in live else bool(flags[sids[i]]) for i in idx]

    def amenity_mask(self, codes) -> int:
        """The bit mask for amenity codes; an unknown code raises ``KeyError`` naming it."""
        mask = 0
        for code in codes:
            mask |= 1 << self.amenity_bits[code]
        return mask

    def amenity_codes(self, bits: int) -> list[str]:
        return [code for code, bit in self.amenity_bits.items() if bits >> bit & 1]

    def set_live(self, live: dict[int, hours.Live]) -> None:
        """Replace the live layer (keyed by station id)."""
        by_index = {self.position[pk]: v for pk, v in live.items() if pk in self.position}
        mask = np.zeros(self.size, dtype=bool)
        if by_index:
            mask[list(by_index)] = True
        self.live, self.live_mask = by_index, mask

    def is_open(self, i: int, at: dt.datetime) -> bool:
        live = self.live.get(i) or hours.Live()
        return hours.is_open(self.schedules[self.schedule_ids[i]], live, at)

    def _patterns_open(self, at: dt.datetime) -> np.ndarray:
        """Which weekly patterns are open at ``at`` (cached for the minute)."""
        local = at.astimezone(hours.local_zone())
        key = (local.date(), local.hour, local.minute)
        cached = self._pattern_cache
        if cached is None or cached[0] != key:
            flags = np.fromiter(
                (hours.is_open(s, hours.Live(), at) for s in self.schedules),
                dtype=bool,
                count=len(self.schedules),
            )
            cached = self._pattern_cache = (key, flags)
        return cached[1]

    def open_mask(self, idx: np.ndarray, at: dt.datetime) -> np.ndarray:
        result = self._patterns_open(at)[self.schedule_ids[idx]]
        for j in np.flatnonzero(self.live_mask[idx]):
            result[j] = self.is_open(int(idx[j]), at)
        return result

    def nearest(
        self,
        lat: float,
        lng: float,
        *,
        limit: int = 10,
        radius_m: float | None = None,
        amenity_mask: int = 0,
        open_at: dt.datetime | None = None,
    ) -> list[Hit]:
        """The ``limit`` nearest stations passing the filters, nearest first (exact)."""
        if self.tree is None or limit <= 0:
            return []
        lat_r, lng_r = math.radians(lat), math.radians(lng)
        cos_lat = math.cos(lat_r)
        query = (cos_lat * math.cos(lng_r), cos_lat * math.sin(lng_r), math.sin(lat_r))
        bound = metres_to_chord(radius_m) if radius_m else np.inf
        if not (amenity_mask or open_at):
            # The common case, without filters: one query, no numpy bookkeeping.
            dist, idx = self.tree.query(query, k=min(limit, self.size), distance_upper_bound=bound)
            if np.ndim(idx) == 0:
                dist, idx = [dist], [idx]
            size, asin = self.size, math.asin
            return [
                Hit(int(i), 2 * EARTH_RADIUS_M * asin(min(d / 2, 1.0)), None)
                for d, i in zip(
                    dist.tolist() if hasattr(dist, "tolist") else dist, idx, strict=True
                )
                if i < size
            ]
        hits: list[Hit] = []
        seen = 0
        k = limit * 4
        while True:
            k = min(k, self.size)
            dist, idx = self.tree.query(query, k=k, distance_upper_bound=bound)
            dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
            found = idx < self.size
            dist, idx = dist[found], idx[found]
            cand_d, cand_i = dist[seen:], idx[seen:]
            keep = np.ones(len(cand_i), dtype=bool)
            if amenity_mask:
                keep &= (self.masks[cand_i] & amenity_mask) == amenity_mask
            open_flags = None
            if open_at is not None and keep.any():
                open_flags = np.zeros(len(cand_i), dtype=bool)
                open_flags[keep] = self.open_mask(cand_i[keep], open_at)
                keep &= open_flags
            metres = chord_to_metres(cand_d[keep])
            for i, m in zip(cand_i[keep], metres, strict=True):
                hits.append(Hit(int(i), float(m), True if open_flags is not None else None))
                if len(hits) == limit:
                    return hits
            exhausted = len(idx) < k or k >= self.size
            if exhausted:
                return hits
            seen = len(idx)
            k *= 4


# --- the process-wide index and its freshness ------------------------------------------------

_lock = threading.Lock()
# Called with each freshly built index (``selectors`` registers the payload warmer).
BUILD_HOOKS: list = []
_state: dict = {"index": None, "tokens": (None, None), "checked": 0.0, "day": None}


def _token(kind: str) -> str:
    value = cache.get(TOKEN_KEY % kind)
    if value is None:
        value = uuid.uuid4().hex
        cache.add(TOKEN_KEY % kind, value, None)
        value = cache.get(TOKEN_KEY % kind) or value
    return value


def invalidate(*, live_only: bool = False) -> None:
    """Tell every process to refresh after this transaction commits."""

    def bump():
        cache.set(TOKEN_KEY % "live", uuid.uuid4().hex, None)
        if not live_only:
            cache.set(TOKEN_KEY % "geo", uuid.uuid4().hex, None)

    transaction.on_commit(bump)


def load_rows() -> list[tuple]:
    """The public stations' finder columns, straight from the cursor.

    The ORM's per-row conversion (JSON decoding above all) was 85 % of a rebuild at 10⁵–10⁶
    stations; here each distinct weekly-hours text is decoded once (stations share a handful).
    """
    qs = Station.objects.public().order_by("id").values_list(*FinderIndex.COLUMNS)
    sql, params = qs.query.sql_with_params()
    hours_at = FinderIndex.COLUMNS.index("weekly_hours")
    decoded: dict[str, list] = {}
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            weekly = row[hours_at]
            if isinstance(weekly, str):  # SQLite returns the JSON text; psycopg decodes jsonb
                weekly = decoded.get(weekly) or decoded.setdefault(weekly, json.loads(weekly))
            rows.append((*row[:hours_at], weekly, *row[hours_at + 1 :]))
    return rows


def load_amenities() -> dict[str, int]:
    return dict(Amenity.objects.filter(is_active=True).values_list("code", "bit"))


def load_exceptions(since: dt.date, **station_filter) -> dict[int, dict]:
    """Date exceptions from ``since`` on, by station id: ``{pk: {date: Exception_}}``."""
    result: dict[int, dict] = {}
    rows = HoursException.objects.filter(date__gte=since, **station_filter).values_list(
        "station_id", "date", "closed", "opens", "closes"
    )
    for pk, date, closed, opens, closes in rows:
        interval = None if closed else hours.interval(opens, closes)
        result.setdefault(pk, {})[date] = hours.Exception_(closed=closed, interval=interval)
    return result


def load_live(today: dt.date) -> dict[int, hours.Live]:
    live: dict[int, hours.Live] = {}
    for pk, status, reopens_at in (
        Station.objects.public().exclude(status="open").values_list("id", "status", "reopens_at")
    ):
        live[pk] = hours.Live(status=status, reopens_at=reopens_at, exceptions={})
    exceptions = load_exceptions(
        today - dt.timedelta(days=1), station__is_public=True, station__is_active=True
    )
    for pk, by_date in exceptions.items():
        live.setdefault(pk, hours.Live(exceptions={})).exceptions.update(by_date)
    return live


def get_index(*, force: bool = False) -> FinderIndex:
    """The current index, refreshed when another process (or this one) changed stations."""
    now = time.monotonic()
    state = _state
    if (
        not force
        and state["index"] is not None
        and now - state["checked"] < (settings.FINDER_REFRESH_SECONDS)
    ):
        return state["index"]
    with _lock:
        tokens = (_token("geo"), _token("live"))
        today = timezone.localdate()
        index = state["index"]
        if force or index is None or tokens[0] != state["tokens"][0]:
            index = FinderIndex(load_rows(), load_amenities())
            index.set_live(load_live(today))
            for hook in BUILD_HOOKS:
                hook(index)
        elif tokens[1] != state["tokens"][1] or today != state["day"]:
            index.set_live(load_live(today))
        state.update(index=index, tokens=tokens, checked=now, day=today)
        return index


def reset() -> None:
    """Forget the process's index (tests)."""
    _state.update(index=None, tokens=(None, None), checked=0.0, day=None)
