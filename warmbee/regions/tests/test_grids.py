"""Point routing (regions/grids.py): agreement with brute force, ties, freshness."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely

from warmbee.regions import grids
from warmbee.regions.models import GridArea, Region


def _square(lng, lat, size):
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lng, lat],
                [lng + size, lat],
                [lng + size, lat + size],
                [lng, lat + size],
                [lng, lat],
            ]
        ],
    }


def _hexagon(lng, lat, r, rng):
    ring = []
    for k in range(6):
        angle = np.pi / 3 * k + rng.uniform(-0.2, 0.2)
        radius = r * rng.uniform(0.7, 1.0)
        ring.append([lng + radius * np.cos(angle), lat + radius * np.sin(angle)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _area(code, geometry, region="230602013", active=True):
    area = GridArea(
        code=code, name=f"网格{code}", region_id=region, geometry=geometry, is_active=active
    )
    area.set_bbox()
    area.save()
    return area


def _brute(areas, lat, lng, shapes=None):
    """Test the point against every active area (no index), then take the smallest, then the
    lowest code."""
    if shapes is None:
        shapes = np.asarray([grids.to_shape(a.geometry) for a in areas], dtype=object)
    inside = shapely.intersects_xy(shapes, lng, lat)
    hits = sorted(
        (shapes[i].area, a.code) for i, a in enumerate(areas) if inside[i] and a.is_active
    )
    return hits[0][1] if hits else None


def test_no_areas_no_answer(db):
    assert grids.area_for_point(46.6, 125.0) is None


def test_the_area_containing_the_point_with_its_fields(db):
    area = _area("SRT-01", _square(125.0, 46.5, 0.01))
    found = grids.area_for_point(46.505, 125.005)
    assert isinstance(found, GridArea)
    assert (found.pk, found.code, found.name, found.region_id) == (
        area.pk,
        "SRT-01",
        "网格SRT-01",
        "230602013",
    )
    assert found.region == Region.objects.get(code="230602013")
    assert found.geometry == area.geometry  # deferred, loaded on access
    assert grids.area_for_point(46.52, 125.005) is None


def test_a_shared_edge_goes_to_the_smaller_area_then_the_lower_code(db):
    _area("B", _square(125.0, 46.5, 0.01))
    _area("A", _square(125.01, 46.5, 0.01))  # same size, shares the edge lng=125.01
    _area("C", _square(125.0, 46.51, 0.005))  # smaller, shares the edge lat=46.51 with B
    assert grids.area_for_point(46.505, 125.01).code == "A"  # tie in size: lower code
    assert grids.area_for_point(46.51, 125.002).code == "C"  # smaller wins
    assert grids.area_for_point(46.5, 125.0).code == "B"  # a corner is inside
    # Deterministic across rebuilds.
    for _ in range(3):
        grids.grid_index(force=True)
        assert grids.area_for_point(46.505, 125.01).code == "A"


def test_overlap_goes_to_the_smaller_area(db):
    _area("BIG", _square(125.0, 46.5, 0.1))
    _area("SMALL", _square(125.02, 46.52, 0.01))
    assert grids.area_for_point(46.525, 125.025).code == "SMALL"
    assert grids.area_for_point(46.55, 125.05).code == "BIG"


def test_inactive_areas_are_not_routed(db):
    _area("OFF", _square(125.0, 46.5, 0.01), active=False)
    assert grids.area_for_point(46.505, 125.005) is None


def test_multipolygons_route_both_parts(db):
    a, b = _square(125.0, 46.5, 0.01), _square(125.1, 46.5, 0.01)
    _area("MP", {"type": "MultiPolygon", "coordinates": [a["coordinates"], b["coordinates"]]})
    assert grids.area_for_point(46.505, 125.105).code == "MP"
    assert grids.area_for_point(46.505, 125.05) is None


@pytest.mark.parametrize("seed", [1, 2])
def test_agrees_with_brute_force_on_random_points(db, settings, seed):
    rng = random.Random(seed)
    areas = []
    # A tiled block of squares (shared edges and corners everywhere) ...
    step = 0.01
    for i in range(8):
        for j in range(8):
            areas.append(
                _area(f"T{seed}-{i}-{j}", _square(125.0 + i * step, 46.5 + j * step, step))
            )
    # ... and random jittered hexagons, some overlapping the block and each other.
    for k in range(60):
        geometry = _hexagon(
            rng.uniform(124.98, 125.12), rng.uniform(46.48, 46.62), rng.uniform(0.003, 0.02), rng
        )
        areas.append(_area(f"H{seed}-{k:02d}", geometry))
    points = [(rng.uniform(46.47, 46.63), rng.uniform(124.97, 125.13)) for _ in range(1700)]
    # Points exactly on the shared grid lines and corners, and far outside every area.
    points += [(46.5 + rng.randrange(9) * step, 125.0 + rng.uniform(0, 0.08)) for _ in range(100)]
    points += [(46.5 + rng.uniform(0, 0.08), 125.0 + rng.randrange(9) * step) for _ in range(100)]
    points += [(46.5 + i * step, 125.0 + j * step) for i in range(9) for j in range(9)][:50]
    points += [(rng.uniform(40, 45), rng.uniform(110, 120)) for _ in range(50)]
    assert len(points) == 2000
    shapes = np.asarray([grids.to_shape(a.geometry) for a in areas], dtype=object)
    grids.grid_index(force=True)
    settings.GRID_REFRESH_SECONDS = 3600  # one index for the whole run
    mismatches = []
    for lat, lng in points:
        found = grids.area_for_point(lat, lng)
        expected = _brute(areas, lat, lng, shapes)
        if (found and found.code) != expected:
            mismatches.append((lat, lng, found and found.code, expected))
    assert mismatches == []
    assert sum(grids.area_for_point(lat, lng) is None for lat, lng in points) >= 50


def test_invalidate_rebuilds_at_once_in_this_process(db, settings):
    settings.GRID_REFRESH_SECONDS = 3600
    grids.grid_index(force=True)
    _area("NEW", _square(125.0, 46.5, 0.01))
    assert grids.area_for_point(46.505, 125.005) is None  # not checked again yet
    grids.invalidate()
    assert grids.area_for_point(46.505, 125.005).code == "NEW"


def test_another_process_notices_a_change_by_the_fingerprint(db, settings):
    """A change made elsewhere (another process, the admin) shows once the refresh interval
    has passed, without anyone calling invalidate() here."""
    settings.GRID_REFRESH_SECONDS = 0
    assert grids.area_for_point(46.505, 125.005) is None
    area = _area("ELSEWHERE", _square(125.0, 46.5, 0.01))
    assert grids.area_for_point(46.505, 125.005).code == "ELSEWHERE"
    area.is_active = False
    area.save()
    assert grids.area_for_point(46.505, 125.005) is None


def test_a_token_bump_from_another_process_rebuilds(db, settings):
    from django.core.cache import cache

    settings.GRID_REFRESH_SECONDS = 0
    first = grids.grid_index()
    assert grids.grid_index() is first
    cache.set(grids.TOKEN_KEY, "bumped elsewhere")
    assert grids.grid_index() is not first


def test_cache_down_still_routes(db, settings, monkeypatch, django_capture_on_commit_callbacks):
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("redis down")

            return fail

    from warmbee.core import snapshot

    monkeypatch.setattr(snapshot, "cache", Down())
    _area("R45", _square(125.0, 46.5, 0.01))
    with django_capture_on_commit_callbacks(execute=True):
        grids.invalidate()
    assert grids.area_for_point(46.505, 125.005).code == "R45"
