"""The finder's "10 nearest" search against PostGIS KNN (and SQLite R*Tree), per size and database.

    .venv/bin/python bench/finder_knn.py [--sizes 200000,1000000] [--queries 5000]

For each size the parent process runs, each in a fresh child process:

* ``postgis``: the reference. The same stations go into a separate database
  ``warmbee_bench_postgis`` (PostGIS installed on demand) with GiST indexes on a geometry and
  a geography point; each query is a prepared statement over psycopg, ``ORDER BY pt <-> q
  LIMIT 10``, the amenity filter as ``amenity_bits & mask = mask`` and "open now" as a
  minute-of-week ``int4multirange`` containment plus the live status.
* ``app`` on SQLite and on PostgreSQL: WarmBee migrated into a fresh database, the stations
  bulk-inserted as real ``stations_station`` rows, the index built from that database with
  ``finder.load_rows()``/``FinderIndex`` (timed), then ``FinderIndex.nearest`` timed over the
  same query points, and ``selectors.nearby`` (search + the API's payload) for comparison. On
  SQLite the child also measures an R*Tree reference (bbox-expanding search, exact by re-rank).

Every case is timed over ``--queries`` queries after ``--warmup`` warm-up queries. Results go
to ``$BENCH_DIR/finder_knn.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

CASES = ("plain", "amenity", "open_now", "amenity+open_now")
LIMIT = 10
AGREE_SAMPLE = 300


def case_params(case: str, n: int):
    """Per-query (mask, open_at) for a case; the same lists in every child."""
    masks = common.query_masks(n) if "amenity" in case else [()] * n
    times = common.query_times(n) if "open_now" in case else [None] * n
    return [common.mask_of(m) for m in masks], times


# --- PostGIS reference ------------------------------------------------------------------------


def ensure_postgis() -> None:
    import psycopg

    with psycopg.connect(f"{common.PG_DSN_BASE}/postgres") as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
        ).fetchone()
    if not found:
        print("installing postgresql-15-postgis-3 …", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql-15-postgis-3"], check=True)


def week_ranges(always_open: bool, weekly: list) -> str:
    """A station's week as minute-of-week ranges (Monday 00:00 = 0); past midnight spills on."""
    if always_open:
        return "{[0,10080)}"
    parts = []
    for weekday, opens, closes in weekly:
        s = int(opens[:2]) * 60 + int(opens[3:])
        e = int(closes[:2]) * 60 + int(closes[3:])
        if e <= s:
            e += 1440
        parts.append(f"[{weekday * 1440 + s},{weekday * 1440 + e})")
    return "{" + ",".join(parts) + "}"


def minute_of_week(at: dt.datetime) -> int:
    local = at.astimezone(ZoneInfo(common.TZ))
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def postgis_sql(case: str, kind: str) -> str:
    point = "ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)"
    if kind == "geography":
        point += "::geography"
    col = "geom" if kind == "geometry" else "geog"
    where = []
    if "amenity" in case:
        where.append("amenity_bits & %(mask)s::bigint = %(mask)s::bigint")
    if "open_now" in case:
        where.append(
            "NOT (status IN ('closed', 'temp_closed')"
            " AND (reopens_at IS NULL OR %(at)s < reopens_at))"
            " AND (week_open @> %(m)s::int OR week_open @> %(m2)s::int)"
        )
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return f"SELECT id FROM station_ref {clause} ORDER BY {col} <-> {point} LIMIT {LIMIT}"


def postgis_params(lat, lng, mask: int, at: dt.datetime | None) -> dict:
    params = {"lat": float(lat), "lng": float(lng), "mask": mask}
    if at is not None:
        m = minute_of_week(at)
        params.update(at=at, m=m, m2=m + 10080)
    return params


def run_postgis(size: int, nq: int, warmup: int) -> dict:
    import psycopg

    ensure_postgis()
    stations = common.generate_stations(size)
    dsn = common.recreate_pg_database(common.PG_POSTGIS_DB)
    ranges_cache: dict[tuple, str] = {}
    out: dict = {"size": size, "db": "postgis"}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
        out["postgis_version"] = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        conn.execute(
            "CREATE UNLOGGED TABLE staging (id bigint, lat float8, lng float8, amenity_bits bigint,"
            " always_open bool, status text, reopens_at timestamptz, week_open int4multirange)"
        )
        t0 = time.perf_counter()
        texts = common.weekly_json(stations)
        with conn.cursor() as cur, cur.copy("COPY staging FROM STDIN") as copy:
            for i in range(size):
                ao = bool(stations["always_open"][i])
                key = (ao, texts[i])
                rng = ranges_cache.get(key)
                if rng is None:
                    rng = ranges_cache[key] = week_ranges(ao, json.loads(texts[i]))
                copy.write_row(
                    (
                        i + 1,
                        float(stations["lat"][i]),
                        float(stations["lng"][i]),
                        int(stations["amenity_bits"][i]),
                        ao,
                        str(stations["status"][i]),
                        None,
                        rng,
                    )
                )
        conn.execute(
            "CREATE TABLE station_ref AS SELECT id, amenity_bits, always_open, status, reopens_at,"
            " week_open, ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geometry(Point, 4326) AS geom,"
            " ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography(Point, 4326) AS geog"
            " FROM staging ORDER BY id"
        )
        conn.execute("ALTER TABLE station_ref ADD PRIMARY KEY (id)")
        out["load_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("CREATE INDEX station_ref_geom ON station_ref USING gist (geom)")
        out["gist_geometry_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("CREATE INDEX station_ref_geog ON station_ref USING gist (geog)")
        out["gist_geography_s"] = time.perf_counter() - t0
        conn.execute("DROP TABLE staging")
        conn.execute("VACUUM ANALYZE station_ref")
    del stations
    gc.collect()
    common.pg_settle()

    lat, lng = common.query_points(nq + warmup)
    results = {}
    ids = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for kind in ("geometry", "geography"):
            for case in CASES:
                sql = postgis_sql(case, kind)
                masks, times = case_params(case, nq + warmup)
                samples = []
                got = []
                with conn.cursor() as cur:
                    for q in range(nq + warmup):
                        params = postgis_params(lat[q], lng[q], masks[q], times[q])
                        t0 = time.perf_counter_ns()
                        cur.execute(sql, params, prepare=True)
                        rows = cur.fetchall()
                        t1 = time.perf_counter_ns()
                        if q >= warmup:
                            samples.append(t1 - t0)
                            if len(got) < AGREE_SAMPLE:
                                got.append([r[0] for r in rows])
                results[f"postgis-{kind}/{case}"] = common.summary_ms(samples)
                ids[f"postgis-{kind}/{case}"] = got
        # One plan, for the record.
        plan = conn.execute(
            "EXPLAIN " + postgis_sql("amenity+open_now", "geography"),
            {"lat": 30.0, "lng": 120.0, "mask": 1, "at": dt.datetime.now(dt.UTC), "m": 1, "m2": 2},
        ).fetchall()
        out["plan_geography_amenity_open"] = [r[0] for r in plan]
    out["results"] = results
    out["ids"] = ids
    return out


# --- the app's finder on SQLite / PostgreSQL -------------------------------------------------


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_app(db: str, size: int, nq: int, warmup: int, rtree: bool) -> dict:
    data_dir = common.BENCH_DIR / f"finder-{db}-{size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    url = common.recreate_pg_database(common.PG_APP_DB) if db == "postgresql" else None
    common.bootstrap(common.app_env(data_dir, url))
    common.migrate_and_seed()
    stations = common.generate_stations(size)
    out: dict = {"size": size, "db": db}
    out["insert_s"] = common.insert_stations(stations)
    del stations
    gc.collect()

    from django.utils import timezone

    from warmbee.stations import finder, selectors

    rss0 = maxrss_mib()
    t0 = time.perf_counter()
    rows = finder.load_rows()
    t1 = time.perf_counter()
    amenities = finder.load_amenities()
    index = finder.FinderIndex(rows, amenities)
    t2 = time.perf_counter()
    index.set_live(finder.load_live(timezone.localdate()))
    t3 = time.perf_counter()
    del rows
    gc.collect()
    out.update(
        load_rows_s=t1 - t0,
        build_s=t2 - t1,
        live_s=t3 - t2,
        index_total_s=t3 - t0,
        maxrss_mib=maxrss_mib(),
        maxrss_before_mib=rss0,
        index_size=index.size,
        live_entries=len(index.live),
    )
    # The process-wide index, as get_index() would leave it.
    finder._state.update(
        index=index,
        tokens=(finder._token("geo"), finder._token("live")),
        checked=time.monotonic(),
        day=timezone.localdate(),
    )
    t0 = time.perf_counter()
    finder.get_index(force=True)
    out["get_index_force_s"] = time.perf_counter() - t0
    index = finder.get_index()
    common.pg_settle()

    lat, lng = common.query_points(nq + warmup)
    results, ids = {}, {}
    import psycopg

    # The PostGIS reference (built by the postgis child) is timed here too, query by query in
    # turn with the finder, so both see the same moments of this shared 2-core machine.
    ref = psycopg.connect(f"{common.PG_DSN_BASE}/{common.PG_POSTGIS_DB}", autocommit=True)
    for case in CASES:
        masks, times = case_params(case, nq + warmup)
        sqls = {kind: postgis_sql(case, kind) for kind in ("geography", "geometry")}
        samples, got = [], []
        ref_samples = {kind: [] for kind in sqls}
        for q in range(nq + warmup):
            t0 = time.perf_counter_ns()
            hits = index.nearest(
                float(lat[q]), float(lng[q]), limit=LIMIT, amenity_mask=masks[q], open_at=times[q]
            )
            t1 = time.perf_counter_ns()
            if q >= warmup:
                samples.append(t1 - t0)
                if len(got) < AGREE_SAMPLE:
                    got.append([int(index.ids[h.index]) for h in hits])
            params = postgis_params(lat[q], lng[q], masks[q], times[q])
            for kind, sql in sqls.items():
                with ref.cursor() as cur:
                    t0 = time.perf_counter_ns()
                    cur.execute(sql, params, prepare=True)
                    cur.fetchall()
                    t1 = time.perf_counter_ns()
                if q >= warmup:
                    ref_samples[kind].append(t1 - t0)
        results[f"finder/{case}"] = common.summary_ms(samples)
        ids[f"finder/{case}"] = got
        for kind, xs in ref_samples.items():
            results[f"postgis-{kind} (interleaved)/{case}"] = common.summary_ms(xs)
    ref.close()
    # The selector behind the API: search + payload dictionaries (what the endpoint adds).
    mask_codes = common.query_masks(nq + warmup)
    for case in CASES:
        times = common.query_times(nq + warmup)
        samples = []
        for q in range(nq + warmup):
            query = selectors.NearbyQuery(
                lat=float(lat[q]),
                lng=float(lng[q]),
                limit=LIMIT,
                open_now="open_now" in case,
                amenities=mask_codes[q] if "amenity" in case else (),
            )
            t0 = time.perf_counter_ns()
            selectors.nearby(query, at=times[q])
            t1 = time.perf_counter_ns()
            if q >= warmup:
                samples.append(t1 - t0)
        results[f"selectors.nearby/{case}"] = common.summary_ms(samples)
    if rtree and db == "sqlite":
        from django.db import connection

        r_res, r_ids, r_meta = run_rtree(connection.settings_dict["NAME"], lat, lng, nq, warmup)
        results.update(r_res)
        ids.update(r_ids)
        out.update(r_meta)
    out["results"] = results
    out["ids"] = ids
    return out


# --- SQLite R*Tree reference --------------------------------------------------------------------


def run_rtree(path: str, lat, lng, nq: int, warmup: int):
    from warmbee.stations import finder, hours

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("DROP TABLE IF EXISTS bench_rtree")
    t0 = time.perf_counter()
    with db:
        db.execute(
            "CREATE VIRTUAL TABLE bench_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)"
        )
        db.execute(
            "INSERT INTO bench_rtree SELECT id, lat, lat, lng, lng FROM stations_station"
            " WHERE is_public AND is_active"
        )
    meta = {"rtree_build_s": time.perf_counter() - t0}
    schedules: dict[tuple, hours.Schedule] = {}
    R = finder.EARTH_RADIUS_M

    def schedule(always_open, weekly_text):
        key = (always_open, weekly_text)
        s = schedules.get(key)
        if s is None:
            s = schedules[key] = finder.schedule_of(bool(always_open), json.loads(weekly_text))
        return s

    base = (
        "SELECT s.id, s.lat, s.lng, s.always_open, s.weekly_hours, s.status, s.reopens_at"
        " FROM bench_rtree r JOIN stations_station s ON s.id = r.id"
        " WHERE r.max_lat >= ? AND r.min_lat <= ? AND r.max_lng >= ? AND r.min_lng <= ?"
    )
    sql_plain = base
    sql_mask = base + " AND s.amenity_bits & ? = ?"

    def search(qlat, qlng, mask, at):
        half = 0.03  # degrees of latitude; doubled until the inscribed circle holds 10 hits
        phi = math.radians(qlat)
        while True:
            dlng = min(half / max(math.cos(math.radians(min(abs(qlat) + half, 89.9))), 1e-6), 180)
            args = [qlat - half, qlat + half, qlng - dlng, qlng + dlng]
            rows = db.execute(
                sql_mask if mask else sql_plain, [*args, mask, mask] if mask else args
            ).fetchall()
            if at is not None:
                rows = [
                    r
                    for r in rows
                    if hours.is_open(
                        schedule(r[3], r[4]),
                        hours.Live(status=r[5], reopens_at=None, exceptions={}),
                        at,
                    )
                ]
            safe = min(
                math.radians(half) * R,
                R * math.asin(min(1.0, math.cos(phi) * math.sin(math.radians(dlng)))),
            )
            if rows:
                a = np.array([(r[1], r[2]) for r in rows])
                d = finder.haversine_m(qlat, qlng, a[:, 0], a[:, 1])
                order = np.argsort(d, kind="stable")[:LIMIT]
                if len(order) == LIMIT and d[order[-1]] <= safe:
                    return [rows[i][0] for i in order]
            if half > 40:
                return [rows[i][0] for i in order] if rows else []
            half *= 2

    results, ids = {}, {}
    for case in CASES:
        masks, times = case_params(case, nq + warmup)
        samples, got = [], []
        for q in range(nq + warmup):
            t0 = time.perf_counter_ns()
            found = search(float(lat[q]), float(lng[q]), masks[q], times[q])
            t1 = time.perf_counter_ns()
            if q >= warmup:
                samples.append(t1 - t0)
                if len(got) < AGREE_SAMPLE:
                    got.append(found)
        results[f"sqlite-rtree/{case}"] = common.summary_ms(samples)
        ids[f"sqlite-rtree/{case}"] = got
    db.close()
    return results, ids, meta


# --- orchestration ----------------------------------------------------------------------------


def child(args) -> None:
    if args.child == "postgis":
        out = run_postgis(args.size, args.queries, args.warmup)
    else:
        out = run_app(args.db, args.size, args.queries, args.warmup, rtree=not args.no_rtree)
    common.write_json(Path(args.out), out)


def agreement(a: list, b: list) -> float:
    same = sum(1 for x, y in zip(a, b, strict=False) if x == y)
    return same / max(1, min(len(a), len(b)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="200000,1000000")
    p.add_argument("--dbs", default="sqlite,postgresql")
    p.add_argument("--queries", type=int, default=5000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--no-rtree", action="store_true")
    p.add_argument("--out", default=str(common.BENCH_DIR / "finder_knn.json"))
    p.add_argument("--child", choices=["postgis", "app"])
    p.add_argument("--db", choices=["sqlite", "postgresql"])
    p.add_argument("--size", type=int)
    args = p.parse_args()
    if args.child:
        child(args)
        return

    report = {"machine": common.machine_info(), "argv": sys.argv, "runs": []}
    for size in [int(s) for s in args.sizes.split(",")]:
        jobs = [("postgis", None)] + [("app", db) for db in args.dbs.split(",")]
        by_db = {}
        for kind, db in jobs:
            part = common.BENCH_DIR / f"finder-{kind}-{db or 'ref'}-{size}.json"
            cmd = [sys.executable, __file__, "--child", kind, "--size", str(size)]
            cmd += [
                "--queries",
                str(args.queries),
                "--warmup",
                str(args.warmup),
                "--out",
                str(part),
            ]
            if db:
                cmd += ["--db", db]
            if args.no_rtree:
                cmd.append("--no-rtree")
            print(f"[finder_knn] size={size} {kind} {db or ''}", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"  … {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
            by_db[db or "postgis"] = json.loads(part.read_text())
        ref = by_db["postgis"]
        for db, run in by_db.items():
            if db == "postgis":
                continue
            for name in list(run["ids"]):
                engine, case = name.split("/")
                run.setdefault("agree_with_postgis_geography", {})[name] = agreement(
                    run["ids"][name], ref["ids"][f"postgis-geography/{case}"]
                )
        for run in by_db.values():
            run.pop("ids", None)
        report["runs"].append({"size": size, **by_db})
    common.write_json(Path(args.out), report)
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = []
    for run in report["runs"]:
        size = run["size"]
        ref = run["postgis"]["results"]
        lines.append(f"\n### {size:,} stations\n")
        lines.append(
            "| app database | engine | case | p50 ms | p99 ms | mean ms | PostGIS geography p99"
            " (same run, interleaved) | PostGIS geometry p99 (same run, interleaved) |"
            " p99 ≤ both? |"
        )
        lines.append("|---|---|---|---:|---:|---:|---:|---:|---|")
        for case in CASES:
            for kind in ("geography", "geometry"):
                r = ref[f"postgis-{kind}/{case}"]
                lines.append(
                    f"| (alone) | PostGIS KNN {kind} (GiST) | {case} | {r['p50']:.3f} |"
                    f" {r['p99']:.3f} | {r['mean']:.3f} | | | |"
                )
        for db in ("sqlite", "postgresql"):
            if db not in run:
                continue
            res = run[db]["results"]
            for name, r in res.items():
                engine, case = name.split("/")
                g = res[f"postgis-geography (interleaved)/{case}"]["p99"]
                m = res[f"postgis-geometry (interleaved)/{case}"]["p99"]
                if engine.startswith("postgis"):
                    g = m = float("inf")
                met = "yes" if r["p99"] <= min(g, m) else "no"
                if engine.startswith("postgis"):
                    g = m = float("nan")
                    met = "(reference)"
                lines.append(
                    f"| {db} | {engine} | {case} | {r['p50']:.3f} | {r['p99']:.3f} |"
                    f" {r['mean']:.3f} | {g:.3f} | {m:.3f} | {met} |"
                )
        lines.append("")
        lines.append(
            "| database | insert s | load_rows s | FinderIndex s | live s | total s | max RSS MiB |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for db in ("sqlite", "postgresql"):
            if db in run:
                x = run[db]
                lines.append(
                    f"| {db} | {x['insert_s']:.1f} | {x['load_rows_s']:.2f} | {x['build_s']:.2f} |"
                    f" {x['live_s']:.2f} | {x['index_total_s']:.2f} | {x['maxrss_mib']:.0f} |"
                )
        pg = run["postgis"]
        lines.append(
            f"\nPostGIS {pg.get('postgis_version')}: load {pg['load_s']:.1f} s, GiST geometry"
            f" {pg['gist_geometry_s']:.1f} s, GiST geography {pg['gist_geography_s']:.1f} s."
        )
        for db in ("sqlite", "postgresql"):
            if db in run:
                agree = run[db].get("agree_with_postgis_geography", {})
                lines.append(
                    f"Same 10 ids in the same order as PostGIS geography ({db}, first"
                    f" {AGREE_SAMPLE} queries): "
                    + ", ".join(f"{k} {v:.1%}" for k, v in agree.items())
                )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
