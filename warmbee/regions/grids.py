"""Point routing: which grid area (网格) contains a point.

``area_for_point(lat, lng)`` answers from an in-process index (ADR 0012): the active grid areas
as shapely geometries in an ``STRtree``, each prepared for repeated point tests. The tree's
bounding-box query narrows 10⁵ polygons to a handful; the exact test is GEOS's ``intersects``
(the boundary counts as inside, so a point on an edge is never lost).

Ties are deterministic. Where areas share an edge or overlap, the smallest area wins, then the
lowest code: the geometries are stored in that order, so the answer is the lowest candidate
position. Areas are compared in square degrees, which orders small neighbouring areas the same
way as square metres would.

Freshness, across processes: the index is a ``core.snapshot.Snapshot`` checked at most every
``GRID_REFRESH_SECONDS`` against a token in the shared cache (bumped by ``invalidate()`` after a
service's commit) and the table's ``COUNT(*)`` and ``MAX(updated_at)`` (which also catch a change
made in the admin, or while the cache was unreachable, R45).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max

from warmbee.core.snapshot import Snapshot

from .models import GridArea

log = logging.getLogger(__name__)
TOKEN_KEY = "regions:grids:version"
# The columns an answer carries; ``geometry`` stays deferred (loaded on access).
ANSWER_FIELDS = (
    "id",
    "code",
    "name",
    "region_id",
    "min_lat",
    "min_lng",
    "max_lat",
    "max_lng",
    "is_active",
    "created_at",
    "updated_at",
)


def to_shape(geometry: dict) -> shapely.Geometry:
    """A GeoJSON Polygon / MultiPolygon mapping as a shapely geometry (``[lng, lat]``)."""
    return shapely.geometry.shape(geometry)


@dataclass
class GridIndex:
    """An immutable snapshot of the active grid areas, ordered by (area, code)."""

    rows: list[tuple] = field(default_factory=list)  # ANSWER_FIELDS values, in priority order
    geometries: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    fingerprint: tuple = ()

    def __post_init__(self):
        self.size = len(self.rows)
        # Prepared in place: every later intersects() on them reuses the prepared structure.
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries) if self.size else None

    def position_for(self, lat: float, lng: float) -> int | None:
        """The position (priority order) of the area containing the point, or None."""
        if self.tree is None:
            return None
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return int(hits.min())

    def area_at(self, position: int) -> GridArea:
        return GridArea.from_db("default", ANSWER_FIELDS, self.rows[position])

    @property
    def codes(self) -> list[str]:
        return [row[1] for row in self.rows]


def build_index(fingerprint: tuple = ()) -> GridIndex:
    qs = GridArea.objects.unscoped(reason="grid routing index").filter(is_active=True)
    rows, shapes = [], []
    for values in qs.values_list(*ANSWER_FIELDS, "geometry").iterator(chunk_size=5000):
        try:
            shape = to_shape(values[-1])
        except Exception:  # noqa: BLE001 - a bad row is skipped, never fatal for routing
            log.warning("grid area %s has an unreadable geometry; not routed", values[1])
            continue
        rows.append(values[:-1])
        shapes.append(shape)
    areas = shapely.area(np.asarray(shapes, dtype=object)) if shapes else []
    order = sorted(range(len(rows)), key=lambda i: (areas[i], rows[i][1]))
    return GridIndex(
        rows=[rows[i] for i in order],
        geometries=np.asarray([shapes[i] for i in order], dtype=object),
        fingerprint=fingerprint,
    )


def _table_fingerprint() -> tuple:
    stats = GridArea.objects.unscoped(reason="grid routing freshness").aggregate(
        n=Count("id"), last=Max("updated_at")
    )
    return (stats["n"], stats["last"])


_snapshot: Snapshot[GridIndex] = Snapshot(
    TOKEN_KEY,
    build_index,
    refresh=lambda: settings.GRID_REFRESH_SECONDS,
    fingerprint=_table_fingerprint,
)


def grid_index(*, force: bool = False) -> GridIndex:
    """This process's current index, rebuilt when grid areas changed anywhere."""
    return _snapshot.get(force=force)


def area_for_point(lat: float, lng: float) -> GridArea | None:
    """The active grid area containing the point (WGS-84), or None.

    On a shared edge or an overlap: the smallest area, then the lowest code. The answer is a
    fresh ``GridArea`` (its ``geometry`` is loaded from the database only if read)."""
    index = grid_index()
    position = index.position_for(float(lat), float(lng))
    return None if position is None else index.area_at(position)


def reset() -> None:
    """Forget this process's index (tests)."""
    _snapshot.reset()


def invalidate() -> None:
    """Grid areas changed: this process re-checks at once, every process after the commit."""
    _snapshot.invalidate()
