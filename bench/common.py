"""Shared pieces of the benchmarks: machine facts, synthetic stations, loading, statistics.

Everything here is deterministic for a given seed, so each child process (one per database and
size) regenerates exactly the same stations and query points without passing them around.
Django is only imported after ``bootstrap()`` has set the WARMBEE_* environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PY = REPO / ".venv" / "bin" / "python"
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/warmbee-bench"))
PG_DSN_BASE = os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432")
PG_APP_DB = "warmbee_bench"
PG_POSTGIS_DB = "warmbee_bench_postgis"
TZ = "Asia/Shanghai"

# --- machine -------------------------------------------------------------------------------------


def machine_info() -> dict:
    cpu = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    try:
        pg = subprocess.run(
            ["psql", PG_DSN_BASE + "/postgres", "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        pg = "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": socket.gethostname(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        # Other work on the machine skews every figure: the load when the benchmark started.
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }


# --- synthetic stations --------------------------------------------------------------------------

# Share of stations offering each amenity (code → share), by the bit order of migration 0002.
AMENITY_SHARE = {
    "charging": 0.55,
    "microwave": 0.65,
    "toilet": 0.80,
    "water": 0.92,
    "seating": 0.88,
    "first_aid": 0.50,
    "climate": 0.60,
    "drying": 0.08,
    "wifi": 0.62,
    "books": 0.25,
    "films": 0.04,
}
AMENITY_BIT = {code: bit for bit, code in enumerate(AMENITY_SHARE)}
# What couriers filter on, and how often (one mask per query, drawn with these weights).
AMENITY_QUERIES = [
    (("charging",), 0.40),
    (("microwave",), 0.20),
    (("toilet", "water"), 0.15),
    (("charging", "microwave"), 0.15),
    (("drying",), 0.10),
]


def _week(days, opens, closes):
    return [[d, opens, closes] for d in days]


WEEKDAYS, ALL_DAYS = range(5), range(7)
# Regular weeks of the stations that are not open 24 hours, with their shares.
HOURS_PATTERNS = [
    (_week(ALL_DAYS, "08:00", "20:00"), 0.30),
    (_week(WEEKDAYS, "08:30", "17:30"), 0.15),
    (_week(ALL_DAYS, "09:00", "21:00"), 0.15),
    (_week(range(6), "07:00", "22:00"), 0.10),
    (_week(ALL_DAYS, "06:00", "23:00"), 0.08),
    (
        sorted(_week(WEEKDAYS, "08:00", "12:00") + _week(WEEKDAYS, "14:00", "18:00")),
        0.07,
    ),
    (sorted(_week(WEEKDAYS, "09:00", "18:00") + _week((5, 6), "10:00", "16:00")), 0.07),
    (_week(ALL_DAYS, "18:00", "06:00"), 0.04),  # night shelters, past midnight
    (sorted(_week(ALL_DAYS, "10:00", "14:00") + _week(ALL_DAYS, "17:00", "02:00")), 0.04),
]
ALWAYS_OPEN_SHARE = 0.12
KINDS = [("warmbee", 0.5), ("love", 0.2), ("outdoor", 0.15), ("courier_home", 0.1), ("other", 0.05)]
STREETS = [
    "中山",
    "人民",
    "解放",
    "建设",
    "和平",
    "新华",
    "胜利",
    "长江",
    "黄河",
    "友谊",
    "光明",
    "红旗",
    "东风",
    "朝阳",
    "文化",
    "世纪",
]
SUFFIX = {
    "warmbee": "暖蜂驿站",
    "love": "爱心驿站",
    "outdoor": "户外劳动者服务站",
    "courier_home": "快递小哥之家",
    "other": "服务点",
}
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
N_CENTRES = 300
# Regions the stations hang off (a small real-looking branch of the GB/T 2260 tree).
REGIONS = [
    ("000000", "中国", "country", None),
    ("230000", "黑龙江省", "province", "000000"),
    ("230600", "大庆市", "prefecture", "230000"),
    ("230602", "萨尔图区", "county", "230600"),
    ("230603", "龙凤区", "county", "230600"),
    ("230604", "让胡路区", "county", "230600"),
    ("230605", "红岗区", "county", "230600"),
    ("230606", "大同区", "county", "230600"),
]
COUNTIES = [code for code, _n, level, _p in REGIONS if level == "county"]


def _centres(rng: np.random.Generator):
    lat = rng.uniform(20, 48, N_CENTRES)
    lng = rng.uniform(100, 125, N_CENTRES)
    weight = rng.lognormal(0.0, 1.0, N_CENTRES)  # a few big cities, many small ones
    weight /= weight.sum()
    sigma = rng.uniform(0.03, 0.25, N_CENTRES)  # 3–28 km
    return lat, lng, weight, sigma


def _scatter(rng, n, centres):
    c_lat, c_lng, weight, sigma = centres
    which = rng.choice(N_CENTRES, size=n, p=weight)
    lat = c_lat[which] + rng.normal(0, 1, n) * sigma[which]
    lng = c_lng[which] + rng.normal(0, 1, n) * sigma[which] / np.cos(np.radians(c_lat[which]))
    return np.clip(lat, 18.5, 49.5), np.clip(lng, 98.5, 126.5)


def _codes(n: int) -> list[str]:
    """Unique 8-character codes that look random: a bijection of the index mod 31**8."""
    space = 31**8
    out = []
    for i in range(n):
        v = (i * 2_654_435_761 + 12_345) % space
        chars = []
        for _ in range(8):
            v, r = divmod(v, 31)
            chars.append(CODE_ALPHABET[r])
        out.append("".join(chars))
    return out


def generate_stations(n: int, seed: int = 20240601) -> dict:
    """``n`` stations clustered around 300 city centres in China's east, as column arrays."""
    rng = np.random.default_rng(seed)
    centres = _centres(rng)
    lat, lng = _scatter(rng, n, centres)
    bits = np.zeros(n, dtype=np.int64)
    for code, share in AMENITY_SHARE.items():
        bits |= (rng.random(n) < share).astype(np.int64) << AMENITY_BIT[code]
    always_open = rng.random(n) < ALWAYS_OPEN_SHARE
    shares = np.array([s for _p, s in HOURS_PATTERNS])
    pattern = rng.choice(len(HOURS_PATTERNS), size=n, p=shares / shares.sum())
    kinds = [k for k, _s in KINDS]
    kind_i = rng.choice(len(KINDS), size=n, p=[s for _k, s in KINDS])
    tier = rng.choice([1, 2, 3], size=n, p=[0.2, 0.6, 0.2])
    seats = rng.integers(0, 31, n)
    street = rng.integers(0, len(STREETS), n)
    number = rng.integers(1, 400, n)
    region = rng.integers(0, len(COUNTIES), n)
    has_phone = rng.random(n) < 0.7
    phone_no = rng.integers(10_000_000, 99_999_999, n)
    status_draw = rng.random(n)
    status = np.where(
        status_draw < 0.005, "temp_closed", np.where(status_draw < 0.015, "full", "open")
    )
    return {
        "n": n,
        "lat": np.round(lat, 6),
        "lng": np.round(lng, 6),
        "amenity_bits": bits,
        "always_open": always_open,
        "pattern": pattern,
        "kind": [kinds[k] for k in kind_i],
        "tier": tier,
        "seats": seats,
        "street": street,
        "number": number,
        "region": [COUNTIES[r] for r in region],
        "phone": [f"0459-{p}" if h else "" for p, h in zip(phone_no, has_phone, strict=True)],
        "status": status,
        "code": _codes(n),
    }


def weekly_json(stations: dict) -> list[str]:
    texts = [json.dumps(p, separators=(", ", ": ")) for p, _s in HOURS_PATTERNS]
    return [
        "[]" if ao else texts[p]
        for ao, p in zip(stations["always_open"], stations["pattern"], strict=True)
    ]


STATION_COLUMNS = (
    "code",
    "name",
    "kind",
    "tier",
    "host_org_name",
    "address",
    "region_id",
    "lat",
    "lng",
    "always_open",
    "weekly_hours",
    "amenity_bits",
    "seats",
    "phone",
    "description",
    "is_public",
    "is_active",
    "status",
    "status_reason",
    "reopens_at",
    "status_changed_at",
    "created_at",
    "updated_at",
)


def station_rows(stations: dict):
    """Rows for ``stations_station`` in ``STATION_COLUMNS`` order (ids follow the order)."""
    now = dt.datetime.now(dt.UTC)
    weekly = weekly_json(stations)
    for i in range(stations["n"]):
        kind = stations["kind"][i]
        street = STREETS[stations["street"][i]]
        number = int(stations["number"][i])
        status = str(stations["status"][i])
        yield (
            stations["code"][i],
            f"{street}路{number}号{SUFFIX[kind]}",
            kind,
            int(stations["tier"][i]),
            "",
            f"{street}路{number}号",
            stations["region"][i],
            float(stations["lat"][i]),
            float(stations["lng"][i]),
            bool(stations["always_open"][i]),
            weekly[i],
            int(stations["amenity_bits"][i]),
            int(stations["seats"][i]),
            stations["phone"][i],
            "",
            True,
            True,
            status,
            "设备检修" if status == "temp_closed" else "",
            None,
            now if status != "open" else None,
            now,
            now,
        )


def query_points(n: int, seed: int = 7, station_seed: int = 20240601):
    """Query points near the data: drawn from the same clusters, a little wider."""
    centres = _centres(np.random.default_rng(station_seed))
    rng = np.random.default_rng(seed)
    c_lat, c_lng, weight, sigma = centres
    lat, lng = _scatter(rng, n, (c_lat, c_lng, weight, sigma * 1.3))
    return lat, lng


def query_masks(n: int, seed: int = 11) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    weights = np.array([w for _c, w in AMENITY_QUERIES])
    picks = rng.choice(len(AMENITY_QUERIES), size=n, p=weights / weights.sum())
    return [AMENITY_QUERIES[i][0] for i in picks]


def mask_of(codes) -> int:
    mask = 0
    for code in codes:
        mask |= 1 << AMENITY_BIT[code]
    return mask


def query_times(n: int, seed: int = 13, start: dt.datetime | None = None) -> list[dt.datetime]:
    """Moments spread uniformly over the coming week (so day and night are both in the mix)."""
    rng = np.random.default_rng(seed)
    start = start or dt.datetime(2025, 1, 6, 0, 0, tzinfo=dt.UTC)  # a Monday, fixed
    offsets = rng.uniform(0, 7 * 86400, n)
    return [start + dt.timedelta(seconds=float(s)) for s in offsets]


# --- environment and databases -------------------------------------------------------------------


def app_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("WARMBEE_")]:
        del env[key]
    env.update(
        {
            "WARMBEE_DATA_DIR": str(data_dir),
            "WARMBEE_DEBUG": "0",
            "WARMBEE_LOG_LEVEL": "WARNING",
            "WARMBEE_MAP_TILES": "none",
            "PYTHONPATH": str(REPO),
        }
    )
    if database_url:
        env["WARMBEE_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def bootstrap(env: dict[str, str], settings_module: str = "warmbee.settings") -> None:
    """Configure this process for Django with ``env`` (call before importing Django models)."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def pg_admin(sql: str, db: str = "postgres") -> None:
    import psycopg

    with psycopg.connect(f"{PG_DSN_BASE}/{db}", autocommit=True) as conn:
        conn.execute(sql)


def pg_settle(timeout: float = 120.0) -> None:
    """Checkpoint and wait for autovacuum to finish, so PostgreSQL's background work after a
    bulk load does not steal a core from the timed loop (the machine has two)."""
    import psycopg

    with psycopg.connect(f"{PG_DSN_BASE}/postgres", autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(1)
    time.sleep(2)


def recreate_pg_database(name: str) -> str:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_DSN_BASE}/{name}"


def migrate_and_seed(with_cache_table: bool = True) -> None:
    """In a bootstrapped process: migrate, create the cache table and the regions."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if with_cache_table:
        call_command("createcachetable", verbosity=0)
    from warmbee.regions.models import Region

    made: dict[str, Region] = {}
    path = {}
    for code, name, level, parent in REGIONS:
        path[code] = (path[parent] if parent else "/") + code + "/"
        made[code], _created = Region.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": made.get(parent),
                "path": path[code],
                "lat": 46.59,
                "lng": 125.1,
            },
        )


def insert_stations(stations: dict) -> float:
    """Bulk-insert the stations into the app database (bypassing the ORM); returns seconds."""
    from django.db import connection

    cols = ", ".join(STATION_COLUMNS)
    t0 = time.perf_counter()
    if connection.vendor == "sqlite":
        db = sqlite3.connect(connection.settings_dict["NAME"])
        db.execute("PRAGMA journal_mode=WAL")
        marks = ", ".join("?" * len(STATION_COLUMNS))
        rows = (
            tuple(
                v.replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, dt.datetime) else v
                for v in row
            )
            for row in station_rows(stations)
        )
        with db:
            db.executemany(f"INSERT INTO stations_station ({cols}) VALUES ({marks})", rows)
        db.close()
    else:
        import psycopg

        with psycopg.connect(_pg_url(connection.settings_dict)) as conn:
            copy_sql = f"COPY stations_station ({cols}) FROM STDIN"
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in station_rows(stations):
                    copy.write_row(row)
        with psycopg.connect(_pg_url(connection.settings_dict), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE stations_station")
    return time.perf_counter() - t0


def _pg_url(s: dict) -> str:
    return f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


# --- statistics and reporting --------------------------------------------------------------------


def summary_ms(samples_ns) -> dict:
    a = np.asarray(samples_ns, dtype=np.float64) / 1e6
    return {
        "n": int(a.size),
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "mean": float(a.mean()),
        "max": float(a.max()),
    }


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                resp.read()
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


# --- gunicorn and wrk ----------------------------------------------------------------------------

WRK_DIR = Path(__file__).resolve().parent / "wrk"


def start_gunicorn(
    data_dir: Path, port: int, *, workers: int = 2, log: Path, **extra_env: str
) -> subprocess.Popen:
    """gunicorn as the Makefile starts it (sync workers), access log off, on the bench site."""
    env = app_env(data_dir, **extra_env)
    env["DJANGO_SETTINGS_MODULE"] = "bench.benchsite.settings"
    cmd = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        "warmbee.wsgi",
        "--chdir",
        str(REPO),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--error-logfile",
        str(log),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True)


def stop_gunicorn(proc: subprocess.Popen) -> None:
    """Stop the gunicorn master we started (it stops its own workers)."""
    import signal

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_wrk(
    url: str,
    script: str,
    seconds: int,
    *,
    connections: int = 50,
    threads: int = 2,
    env: dict[str, str] | None = None,
) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    cmd += ["--timeout", "10s", "--latency", "-s", str(WRK_DIR / script), url]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stdout}\n{proc.stderr}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["non_2xx"] = sum(n for code, n in data["codes"].items() if not code.startswith("2"))
    for key in ("lat_p50_us", "lat_p90_us", "lat_p99_us", "lat_max_us", "lat_mean_us"):
        data[key.replace("_us", "_ms")] = data.pop(key) / 1000
    data["command"] = " ".join(cmd)
    data["stdout"] = proc.stdout
    return data


def log_problems(log: Path) -> dict:
    """Count what a gunicorn error log says went wrong."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "database_is_locked": text.count("database is locked"),
        "tracebacks": text.count("Traceback"),
        "errors": sum(1 for x in text.splitlines() if " ERROR " in x or "[ERROR]" in x),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "lines": len(text.splitlines()),
    }
