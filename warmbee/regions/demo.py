"""Demo grid areas (网格) for Daqing (230600), loaded through ``services.grid_import``.

The loaded GB/T 2260 table stops at streets and townships, and their points are their
district's, so the grids are laid out, not surveyed: square cells of about 1 km (0.012° of
longitude × 0.009° of latitude at 46° N) on one lattice for the whole city, a few per street.
Each district claims the cells nearest its seat, in turns with its neighbours (萨尔图 and 龙凤
are 4 km apart), and its cells, in order around the seat, are cut into one wedge per street.
One lattice means no two areas overlap. Codes are ``<street code>-<n>``, names
``<street>第<n>网格``.

Idempotent and fast: when the first demo area exists, nothing is done.
"""

from __future__ import annotations

import json
import math

from .models import GridArea, Level, Region

# District seats (WGS-84): where people live, not the centroid of the district's polygon.
SEATS = {
    "230602": (46.5893, 125.1035),  # 萨尔图区
    "230603": (46.5630, 125.1450),  # 龙凤区
    "230604": (46.6520, 124.8700),  # 让胡路区
    "230605": (46.4010, 124.8910),  # 红岗区
    "230606": (46.0390, 124.8130),  # 大同区
    "230621": (45.6995, 125.2683),  # 肇州县
    "230622": (45.5188, 125.0782),  # 肇源县
    "230623": (47.1862, 124.8638),  # 林甸县
    "230624": (46.8653, 124.4425),  # 杜尔伯特蒙古族自治县
}
CELL_LNG, CELL_LAT = 0.012, 0.009
CELLS_PER_STREET = 6


def _cells_by_district(needs: dict[str, tuple[float, float, int]]) -> dict[str, list]:
    """Claim lattice cells for each district around its seat, nearest first and in turns, so
    districts whose seats are close share the ground between them without overlapping."""
    queues = {}
    for code, (lat, lng, n) in needs.items():
        ci, cj = round(lng / CELL_LNG), round(lat / CELL_LAT)
        radius = int(2 * math.sqrt(n)) + 3
        around = [
            (ci + di, cj + dj)
            for di in range(-radius, radius + 1)
            for dj in range(-radius, radius + 1)
        ]
        around.sort(key=lambda c: ((c[0] - ci) ** 2 + (c[1] - cj) ** 2, c))
        queues[code] = around
    claimed: set = set()
    taken: dict[str, list] = {code: [] for code in needs}
    while any(len(taken[c]) < needs[c][2] and queues[c] for c in needs):
        for code in sorted(needs):
            queue = queues[code]
            while len(taken[code]) < needs[code][2] and queue:
                cell = queue.pop(0)
                if cell not in claimed:
                    claimed.add(cell)
                    taken[code].append(cell)
                    break
    return taken


def _features(district_code: str, seat, cells: list, streets: list[Region]) -> list[dict]:
    """The district's cells in turn around its seat, cut into one wedge per street."""
    lat0, lng0 = seat

    def angle(cell):
        x = (cell[0] + 0.5) * CELL_LNG - lng0
        y = (cell[1] + 0.5) * CELL_LAT - lat0
        return (math.atan2(y, x), cell)

    ordered = sorted(cells, key=angle)
    features = []
    share = len(ordered) / len(streets)
    for index, cell in enumerate(ordered):
        street = streets[min(int(index / share), len(streets) - 1)]
        number = index - math.ceil(streets.index(street) * share) + 1
        w, s = round(cell[0] * CELL_LNG, 6), round(cell[1] * CELL_LAT, 6)
        e, n = round((cell[0] + 1) * CELL_LNG, 6), round((cell[1] + 1) * CELL_LAT, 6)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f"{street.code}-{number:02d}",
                    "name": f"{street.name}第{number}网格",
                    "community": street.code,
                },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
                },
            }
        )
    return features


def city_geojson(city_code: str) -> dict:
    city = Region.objects.filter(code=city_code).first()
    features: list[dict] = []
    if city is None:
        return {"type": "FeatureCollection", "features": features}
    plan = {}
    for district in (
        Region.objects.current().filter(parent=city, level=Level.COUNTY).order_by("code")
    ):
        streets = list(
            Region.objects.current()
            .filter(parent=district, level__in=[Level.TOWNSHIP, Level.COMMUNITY])
            .order_by("code")
        )
        seat = SEATS.get(district.code) or (district.lat, district.lng)
        if streets and None not in seat:
            plan[district.code] = (seat, streets)
    cells = _cells_by_district(
        {code: (*seat, CELLS_PER_STREET * len(streets)) for code, (seat, streets) in plan.items()}
    )
    for code, (seat, streets) in plan.items():
        features.extend(_features(code, seat, cells[code], streets))
    return {"type": "FeatureCollection", "features": features}


def build(ctx) -> None:
    from .services import grid_import

    if GridArea.objects.unscoped(reason="demo: already loaded?").exists():
        return
    document = city_geojson(ctx.city_code)
    if not document["features"]:
        return
    report = grid_import(actor=None, data=json.dumps(document).encode(), dry_run=False)
    if report.errors:  # a bug in the layout above, never the user's doing
        raise RuntimeError(f"demo grid areas refused: {report.errors[:3]}")
