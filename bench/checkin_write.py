"""Check-in writes over HTTP on the embedded SQLite tier against raw SQLite inserts.

    .venv/bin/python bench/checkin_write.py [--stations 20000] [--users 2000] [--seconds 20]

1. A fresh SQLite data dir (``bench/prepare.py``) and ``--users`` workers (role ``worker`` on
   a county, ``RoleAssignment`` rows), each logged in programmatically: a database session
   with Django's auth keys and WarmBee's ``_wb_login_at``/``_wb_auth_at``/``_wb_last_seen``,
   plus its ``UserSession`` row, as ``accounts.services.login_record`` leaves it; each with a
   CSRF secret. ``$BENCH_DIR/checkin/sessions.tsv`` pairs every worker with a random station.
2. Reference: a copy of the same database (``VACUUM INTO`` in the same data dir, so the same
   schema, indexes and foreign keys) and a Python ``sqlite3`` loop with the app's settings (WAL,
   ``synchronous=FULL``, ``busy_timeout``, ``foreign_keys=ON``) doing ``BEGIN IMMEDIATE;
   INSERT`` one ``stations_checkin`` row ``; COMMIT`` for ``--seconds``: in 1 process and in 2
   processes at once.
3. HTTP: gunicorn as the Makefile starts it (2 sync workers) with
   ``WARMBEE_STATION_CHECKIN_INTERVAL_MINUTES=0`` so every request inserts, and wrk (2 threads,
   50 connections) running ``bench/wrk/checkin.lua``, which POSTs
   ``/api/v1/stations/<code>/checkins`` with the session cookie, ``X-CSRFToken``, ``Origin`` and
   ``Referer``, walking the worker × station pairs. Non-2xx responses are counted and the
   gunicorn error log is searched for "database is locked".

Results: ``$BENCH_DIR/checkin_write.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "checkin"
DATA = WORK / "data"
SESSIONS = WORK / "sessions.tsv"
# The check-in page's signed passes (ADR 0017): "pass, station code" per worker.
PASSES = WORK / "passes.tsv"


# --- set-up (in a bootstrapped child) ----------------------------------------------------------


def make_workers(n_users: int, n_stations: int) -> None:
    common.bootstrap(common.app_env(DATA))
    import numpy as np
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction
    from django.middleware.csrf import _get_new_csrf_string
    from django.utils import timezone

    from warmbee.accounts.models import RoleAssignment, User, UserSession
    from warmbee.accounts.roles import Role
    from warmbee.regions.models import Region
    from warmbee.stations.models import Station
    from warmbee.stations.services import checkin_pass_issue

    county = Region.objects.get(code=common.COUNTIES[0])
    rng = np.random.default_rng(5)
    codes = list(Station.objects.public().order_by("id").values_list("code", flat=True))
    stations = {s.code: s for s in Station.objects.public().only("id", "code")}
    lines, pass_lines = [], []
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(phone=f"139{i:08d}", name=f"骑手{i}", region=county, password="!bench")
                for i in range(n_users)
            ]
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=u, role=Role.WORKER, region=county) for u in users]
        )
        now = timezone.now().timestamp()
        links = []
        for user in users:
            station = codes[int(rng.integers(0, len(codes)))]
            # A courier who logged in two hours ago and was last seen an hour ago scans the
            # door poster: the page hands the button a pass; the session is the no-JS path.
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "warmbee.accounts.auth.PhoneBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session["_wb_login_at"] = now - 7200
            session["_wb_auth_at"] = now - 7200
            session["_wb_last_seen"] = now - 3600
            session.create()
            links.append(UserSession(user=user, session_key=session.session_key))
            lines.append(f"{session.session_key}\t{_get_new_csrf_string()}\t{station}")
            token = checkin_pass_issue(actor=user, station=stations[station])
            pass_lines.append(f"{token}\t{station}")
        UserSession.objects.bulk_create(links)
    SESSIONS.write_text("\n".join(lines) + "\n")
    PASSES.write_text("\n".join(pass_lines) + "\n")


# --- the raw SQLite reference --------------------------------------------------------------------


def _raw_loop(path: str, seconds: float, start_at: float, busy_ms: int, seed: int, out) -> None:
    db = sqlite3.connect(path, isolation_level=None, timeout=busy_ms / 1000)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA busy_timeout={busy_ms}")
    db.execute("PRAGMA foreign_keys=ON")
    users = [r[0] for r in db.execute("SELECT id FROM accounts_user")]
    stations = db.execute("SELECT min(id), max(id) FROM stations_station").fetchone()
    import random

    rnd = random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    done = locked = 0
    lat = []
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO stations_checkin (station_id, user_id, created_at) VALUES (?, ?, ?)",
                (rnd.randint(*stations), rnd.choice(users), now),
            )
            db.execute("COMMIT")
            done += 1
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                locked += 1
            if db.in_transaction:
                db.execute("ROLLBACK")
        lat.append(time.perf_counter() - t0)
    db.close()
    out.put({"done": done, "locked": locked, "lat": lat})


def raw_reference(path: Path, seconds: float, processes: int, busy_ms: int) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    start_at = time.time() + 1.5
    procs = [
        ctx.Process(target=_raw_loop, args=(str(path), seconds, start_at, busy_ms, i, q))
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    parts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    lat = [x * 1e9 for part in parts for x in part["lat"]]
    done = sum(p["done"] for p in parts)
    return {
        "processes": processes,
        "seconds": seconds,
        "commits": done,
        "tps": done / seconds,
        "locked_errors": sum(p["locked"] for p in parts),
        "latency_ms": common.summary_ms(lat),
    }


# --- orchestration ---------------------------------------------------------------------------------


def count_checkins(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM stations_checkin").fetchone()[0]
    finally:
        db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stations", type=int, default=20_000)
    p.add_argument("--users", type=int, default=2000)
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--child-users", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", default=str(common.BENCH_DIR / "checkin_write.json"))
    args = p.parse_args()
    if args.child_users:
        make_workers(args.users, args.stations)
        return

    WORK.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    subprocess.run(
        [sys.executable, str(here / "prepare.py"), "--data-dir", str(DATA), "--size",
         str(args.stations)],
        check=True,
    )  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--child-users", "--users", str(args.users), "--stations",
         str(args.stations)],
        check=True,
    )  # fmt: skip
    report: dict = {
        "machine": common.machine_info(),
        "argv": sys.argv,
        "stations": args.stations,
        "users": args.users,
        "users_setup_s": time.perf_counter() - t0,
        "interval_minutes": 0,
    }
    app_db = DATA / "warmbee.sqlite3"
    ref_db = DATA / "raw-reference.sqlite3"
    ref_db.unlink(missing_ok=True)
    src = sqlite3.connect(app_db)
    src.execute("VACUUM INTO ?", (str(ref_db),))
    src.close()
    busy_ms = 20_000
    report["raw_1"] = raw_reference(ref_db, args.seconds, 1, busy_ms)
    print(f"[checkin] raw sqlite, 1 process: {report['raw_1']['tps']:.0f} tps", file=sys.stderr)
    report["raw_2"] = raw_reference(ref_db, args.seconds, 2, busy_ms)
    print(f"[checkin] raw sqlite, 2 processes: {report['raw_2']['tps']:.0f} tps", file=sys.stderr)

    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    log = WORK / "gunicorn-error.log"
    log.unlink(missing_ok=True)
    proc = common.start_gunicorn(
        DATA,
        port,
        log=log,
        WARMBEE_STATION_CHECKIN_INTERVAL_MINUTES="0",
        WARMBEE_STATION_CHECKIN_PASS_MINUTES="120",
    )
    env = {"WRK_PASSES": str(PASSES)}
    try:
        common.wait_http(base + "/api/v1/stations/amenities", timeout=120)
        before = count_checkins(app_db)
        warm = common.run_wrk(
            base, "checkin_pass.lua", args.warmup, connections=args.connections, env=env
        )
        mid = count_checkins(app_db)
        run = common.run_wrk(
            base, "checkin_pass.lua", args.seconds, connections=args.connections, env=env
        )
        after = count_checkins(app_db)
        env_session = {"WRK_SESSIONS": str(SESSIONS), "WRK_ORIGIN": base}
        diag = common.run_wrk(
            base, "checkin.lua", args.seconds, connections=args.connections, env=env_session
        )
        diag["rows_inserted"] = count_checkins(app_db) - after
    finally:
        common.stop_gunicorn(proc)
    run["rows_inserted"] = after - mid
    warm["rows_inserted"] = mid - before
    report["http_warmup"] = warm
    report["http"] = run
    report["http_session"] = diag
    report["error_log"] = common.log_problems(log)
    print(
        f"[checkin] http: {run['rps']:.0f} req/s, codes {run['codes']},"
        f" rows {run['rows_inserted']}, log {report['error_log']}",
        file=sys.stderr,
    )
    common.write_json(Path(args.out), report)
    print(markdown(report))


def markdown(report: dict) -> str:
    r1, r2, h = report["raw_1"], report["raw_2"], report["http"]
    d = report["http_session"]
    ref = max(r1["tps"], r2["tps"])
    ratio = h["rps"] / ref
    locked = report["error_log"]["database_is_locked"]
    ok = ratio >= 0.30 and h["non_2xx"] == 0 and locked == 0
    lines = [
        "| what | per second | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---|",
        f"| raw sqlite3, 1 process | {r1['tps']:.0f} | {r1['latency_ms']['p50']:.2f} |"
        f" {r1['latency_ms']['p99']:.2f} | locked: {r1['locked_errors']} |",
        f"| raw sqlite3, 2 processes | {r2['tps']:.0f} | {r2['latency_ms']['p50']:.2f} |"
        f" {r2['latency_ms']['p99']:.2f} | locked: {r2['locked_errors']} |",
        f"| HTTP POST check-ins with the page's pass (wrk, {report['http']['command'].split()[4]}"
        " connections) |"
        f" {h['rps']:.0f} | {h['lat_p50_ms']:.1f} | {h['lat_p99_ms']:.1f} |"
        f" non-2xx: {h['non_2xx']}, codes {h['codes']}, rows inserted {h['rows_inserted']},"
        f" 'database is locked' in log: {locked} |",
        f"| the same with the session and CSRF token (no-JS path) | {d['rps']:.0f} |"
        f" {d['lat_p50_ms']:.1f} |"
        f" {d['lat_p99_ms']:.1f} | non-2xx: {d['non_2xx']}, rows inserted {d['rows_inserted']} |",
        "",
        f"HTTP / best raw = {h['rps']:.0f} / {ref:.0f} = {ratio:.1%} (target ≥ 30% with no"
        f" 'database is locked'): {'met' if ok else 'NOT met'}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
