"""Grid routing: ``regions.grids.area_for_point`` against a brute-force scan (issue 5).

    .venv/bin/python bench/grid_routing.py [--areas 50000] [--points 20000] [--sample 1000]

1. A fresh SQLite data dir with Daqing's regions and ``--areas`` grid areas: a hexagonal
   lattice of cells about 1 km across (0.006° radius) whose shared vertices are jittered by up
   to a third of the radius, the same way for every cell that shares them — so the polygons
   tile the plane exactly (shared edges, no gaps, no overlaps), irregular like real grids.
   Rows are written through the ORM (``bulk_create``), spread over Daqing's districts.
2. The index is built as a process does on its first request: ``grids.grid_index(force=True)``
   (read the table, parse GeoJSON, STRtree over prepared geometries) — timed, with the process's
   resident memory before and after.
3. ``--points`` random points over the lattice's extent and 5 % beyond it (so some fall outside
   every area), plus points exactly on shared vertices (boundaries). Timed per call:
   * ``area_for_point(lat, lng)`` — what callers get: the freshness check (a cache and table
     fingerprint every ``GRID_REFRESH_SECONDS``), the STRtree query with the ``intersects``
     predicate, the tie rule and the ``GridArea`` instance;
   * ``GridIndex.position_for`` — the lookup alone.
4. Reference, in the same run, on ``--sample`` of the points: brute force with shapely's
   vectorised ``intersects_xy`` over every polygon (prepared), then the same tie rule. Every
   sampled point's answer is compared with ``area_for_point``'s.

Prints a Markdown table; writes ``$BENCH_DIR/grid_routing.json``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "grid_routing"
RADIUS = 0.006  # degrees; a cell is about 1 km across at 46° N
ORIGIN = (124.6, 45.9)  # lng, lat: south-west of Daqing


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _unit(key: int) -> float:
    """A deterministic number in [0, 1) from an integer (splitmix64)."""
    z = (key + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (z ^ (z >> 31)) / 2**64


def _jitter(x: float, y: float) -> tuple[float, float]:
    """A deterministic offset of a lattice vertex (the same for every cell sharing it)."""
    key = round(x * 1e5) * 10_000_019 + round(y * 1e5)
    angle, length = _unit(key) * 2 * math.pi, _unit(key ^ 0x5DEECE66D) * RADIUS / 3
    return x + length * math.cos(angle), y + length * math.sin(angle)


def hexagons(n: int) -> list[dict]:
    """``n`` pointy-top hexagons on a lattice near Daqing, with jittered shared vertices."""
    width = RADIUS * math.sqrt(3)
    cols = math.ceil(math.sqrt(n))
    out = []
    for index in range(n):
        row, col = divmod(index, cols)
        cx = ORIGIN[0] + col * width + (width / 2 if row % 2 else 0)
        cy = ORIGIN[1] + row * RADIUS * 1.5
        ring = []
        for k in range(6):
            angle = math.radians(60 * k + 30)
            # Round the ideal vertex first so neighbours compute the same key.
            vx, vy = (
                round(cx + RADIUS * math.cos(angle), 9),
                round(cy + RADIUS * math.sin(angle), 9),
            )
            jx, jy = _jitter(vx, vy)
            ring.append([round(jx, 7), round(jy, 7)])
        ring.append(ring[0])
        out.append({"type": "Polygon", "coordinates": [ring]})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=50_000)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    common.bootstrap(common.app_env(WORK / "data"))
    common.migrate_and_seed()
    import shapely

    from warmbee.regions import grids
    from warmbee.regions.models import GridArea

    machine = common.machine_info()
    districts = common.COUNTIES
    t0 = time.perf_counter()
    shapes = hexagons(args.areas)
    generate_s = time.perf_counter() - t0
    rows = []
    for i, geometry in enumerate(shapes):
        area = GridArea(
            code=f"HX{i:06d}",
            name=f"网格{i}",
            region_id=districts[i % len(districts)],
            geometry=geometry,
        )
        area.set_bbox()
        rows.append(area)
    t0 = time.perf_counter()
    GridArea.objects.bulk_create(rows, batch_size=2000)
    insert_s = time.perf_counter() - t0
    del rows

    # A tiling, as intended: no overlaps between the polygons.
    geoms = np.asarray([shapely.geometry.shape(g) for g in shapes], dtype=object)
    invalid = int((~shapely.is_valid(geoms)).sum())
    overlap = 1 - shapely.union_all(geoms).area / float(shapely.area(geoms).sum())
    extent = shapely.total_bounds(geoms)  # minx, miny, maxx, maxy

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    index = grids.grid_index(force=True)
    build_s = time.perf_counter() - t0
    rss1 = _rss_mb()

    rng = np.random.default_rng(args.seed)
    dx, dy = extent[2] - extent[0], extent[3] - extent[1]
    lngs = rng.uniform(extent[0] - 0.05 * dx, extent[2] + 0.05 * dx, args.points)
    lats = rng.uniform(extent[1] - 0.05 * dy, extent[3] + 0.05 * dy, args.points)
    # A tenth of the points exactly on vertices shared by two or three cells.
    on_vertex = rng.choice(len(shapes), args.points // 10, replace=False)
    for j, i in enumerate(on_vertex):
        lng, lat = shapes[i]["coordinates"][0][int(rng.integers(6))]
        lngs[j], lats[j] = lng, lat
    points = list(zip(lats.tolist(), lngs.tolist(), strict=True))

    for lat, lng in points[:500]:  # warm-up
        grids.area_for_point(lat, lng)
    calls, lookups, answers = [], [], []
    clock = time.perf_counter_ns
    for lat, lng in points:
        t = clock()
        found = grids.area_for_point(lat, lng)
        calls.append(clock() - t)
        answers.append(found.code if found else None)
    for lat, lng in points:
        t = clock()
        index.position_for(lat, lng)
        lookups.append(clock() - t)
    outside = sum(a is None for a in answers)

    # Reference: brute force over every polygon, the same tie rule (area, then code).
    ordered = index.geometries  # prepared, in (area, code) order
    codes = index.codes
    sample = rng.choice(len(points), min(args.sample, len(points)), replace=False)
    brute, mismatches = [], []
    for j in sample:
        lat, lng = points[j]
        t = clock()
        hits = np.flatnonzero(shapely.intersects_xy(ordered, lng, lat))
        expected = codes[int(hits[0])] if len(hits) else None
        brute.append(clock() - t)
        if expected != answers[j]:
            mismatches.append((lat, lng, answers[j], expected))

    results = {
        "machine": machine,
        "areas": args.areas,
        "points": args.points,
        "on_vertex_points": len(on_vertex),
        "outside_points": outside,
        "invalid_polygons": invalid,
        "overlap_share": overlap,
        "generate_s": generate_s,
        "insert_s": insert_s,
        "build_s": build_s,
        "index_rss_mb": rss1 - rss0,
        "area_for_point_ms": common.summary_ms(calls),
        "position_for_ms": common.summary_ms(lookups),
        "brute_force_ms": common.summary_ms(brute),
        "sample": len(sample),
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:5],
    }
    common.write_json(common.BENCH_DIR / "grid_routing.json", results)
    a, p, b = results["area_for_point_ms"], results["position_for_ms"], results["brute_force_ms"]
    print(f"## Grid routing: {args.areas:,} grid areas, {args.points:,} points\n")
    print(
        f"{machine['date']}; {machine['nproc']} cores, {machine['cpu']}; load {machine['loadavg']}\n"
    )
    print("| what | calls | p50 ms | p99 ms | mean ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, s in (
        ("`area_for_point` (what callers get)", a),
        ("`GridIndex.position_for` (the lookup alone)", p),
        ("reference: brute force, `intersects_xy` over all polygons", b),
    ):
        print(
            f"| {label} | {s['n']:,} | {s['p50']:.4f} | {s['p99']:.4f} | {s['mean']:.4f} | {s['max']:.3f} |"
        )
    print()
    print(f"* brute force / `area_for_point` at p50: {b['p50'] / a['p50']:.0f}×")
    print(
        f"* agreement with brute force: {len(sample) - len(mismatches):,}/{len(sample):,} sampled "
        f"points ({len(on_vertex):,} of all points on shared vertices, {outside:,} outside every area)"
    )
    print(
        f"* index build (read {args.areas:,} rows, parse, prepare, STRtree): {build_s:.2f} s; "
        f"resident memory +{rss1 - rss0:.0f} MB"
    )
    print(
        f"* set-up: polygons generated in {generate_s:.1f} s ({invalid} invalid, overlap "
        f"{overlap:.1e} of their area), inserted in {insert_s:.1f} s"
    )


if __name__ == "__main__":
    main()
