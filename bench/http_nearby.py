"""The public nearby endpoint over HTTP against a bare endpoint of the same framework.

    .venv/bin/python bench/http_nearby.py [--size 200000] [--seconds 20] [--rounds 2]

1. A fresh SQLite data dir with ``--size`` stations (``bench/prepare.py``).
2. gunicorn as the Makefile starts it (``warmbee.wsgi``, 2 sync workers, access log off) with
   ``DJANGO_SETTINGS_MODULE=bench.benchsite.settings``, ``WARMBEE_DEBUG=0``.
3. One real ``/api/v1/stations/nearby`` response (10 stations) is saved as the bare
   endpoint's payload; ``Cache-Control`` is checked on a sample of both endpoints.
4. wrk (2 threads, 50 connections) with ``bench/wrk/get_paths.lua`` requesting random points
   around the data, rounded to 2 decimals: a warm-up per endpoint, then ``--rounds`` times
   nearby / bare alternately for ``--seconds`` each, then nearby with open-now and an amenity
   and the bare endpoint without schema (``/bench/bare/raw``) once each.

Results: ``$BENCH_DIR/http_nearby.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

EXPECTED_CACHE = {"public", "max-age=30"}


def write_paths(path: Path, prefix: str, n: int, extra: str = "") -> None:
    lat, lng = common.query_points(n, seed=101)
    lines = [
        f"{prefix}?lat={a:.2f}&lng={b:.2f}&limit=10{extra}" for a, b in zip(lat, lng, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


def check_headers(base: str, paths_file: Path, sample: int) -> dict:
    paths = paths_file.read_text().split()[:sample]
    bad, seen = [], set()
    for p in paths:
        status, headers, _body = fetch(base + p)
        cc = headers.get("Cache-Control", "")
        seen.add(cc)
        directives = {d.strip() for d in cc.split(",") if d.strip()}
        if status != 200 or directives != EXPECTED_CACHE or "Set-Cookie" in headers:
            bad.append({"path": p, "status": status, "cache_control": cc})
    return {"sampled": len(paths), "bad": bad, "cache_control_values": sorted(seen)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=200_000)
    p.add_argument("--seconds", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--reuse", action="store_true", help="keep an already prepared data dir")
    p.add_argument("--out", default=str(common.BENCH_DIR / "http_nearby.json"))
    args = p.parse_args()

    work = common.BENCH_DIR / "http"
    data_dir = work / "data"
    if not (args.reuse and (data_dir / "warmbee.sqlite3").exists()):
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("prepare.py")), "--data-dir",
             str(data_dir), "--size", str(args.size)],
            check=True,
        )  # fmt: skip
    files = {
        "nearby": (work / "paths-nearby.txt", "/api/v1/stations/nearby", ""),
        "bare": (work / "paths-bare.txt", "/bench/bare/nearby", ""),
        "nearby open_now+amenity": (
            work / "paths-nearby-filters.txt",
            "/api/v1/stations/nearby",
            "&open_now=true&amenity=charging",
        ),
        "bare raw (no schema)": (work / "paths-raw.txt", "/bench/bare/raw", ""),
    }
    for path, prefix, extra in files.values():
        write_paths(path, prefix, 20_000, extra)
    payload_file = work / "bare-payload.json"
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "gunicorn-error.log"
    log.unlink(missing_ok=True)
    report: dict = {
        "machine": common.machine_info(),
        "argv": sys.argv,
        "size": args.size,
        "connections": args.connections,
        "seconds": args.seconds,
    }
    proc = common.start_gunicorn(data_dir, port, log=log, WARMBEE_BENCH_PAYLOAD=str(payload_file))
    try:
        common.wait_http(base + "/api/v1/stations/amenities", timeout=120)
        first = files["nearby"][0].read_text().split()[0]
        status, headers, body = fetch(base + first)
        data = json.loads(body)
        assert status == 200 and data["count"] == 10, (status, data.get("count"))
        payload_file.write_bytes(body)
        report["sample_response"] = {
            "path": first,
            "headers": headers,
            "bytes": len(body),
            "first_item": data["items"][0],
        }
        # Every worker builds its index on its first request: warm both up before measuring.
        t0 = time.perf_counter()
        for _ in range(20):
            fetch(base + first)
        report["first_requests_s"] = time.perf_counter() - t0
        report["headers_nearby"] = check_headers(base, files["nearby"][0], 50)
        report["headers_filters"] = check_headers(base, files["nearby open_now+amenity"][0], 20)
        report["headers_bare"] = check_headers(base, files["bare"][0], 20)
        runs = []

        def wrk(name: str, seconds: int) -> dict:
            env = {"WRK_PATHS": str(files[name][0])}
            res = common.run_wrk(
                base, "get_paths.lua", seconds, connections=args.connections, env=env
            )
            res["name"] = name
            print(
                f"[http_nearby] {name:28} {res['rps']:8.0f} req/s  p50 {res['lat_p50_ms']:.1f}"
                f"  p99 {res['lat_p99_ms']:.1f} ms  non-2xx {res['non_2xx']}",
                file=sys.stderr,
                flush=True,
            )
            return res

        for name in files:
            wrk(name, args.warmup)
        for _ in range(args.rounds):
            runs.append(wrk("nearby", args.seconds))
            runs.append(wrk("bare", args.seconds))
        runs.append(wrk("nearby open_now+amenity", args.seconds))
        runs.append(wrk("bare raw (no schema)", args.seconds))
        report["runs"] = runs
    finally:
        common.stop_gunicorn(proc)
    report["error_log"] = common.log_problems(log)
    common.write_json(Path(args.out), report)
    print(markdown(report))


def markdown(report: dict) -> str:
    runs = report["runs"]

    def mean_rps(name):
        xs = [r["rps"] for r in runs if r["name"] == name]
        return sum(xs) / len(xs)

    near, bare = mean_rps("nearby"), mean_rps("bare")
    p99 = max(r["lat_p99_ms"] for r in runs if r["name"] == "nearby")
    lines = [
        "| run | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        sock = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        lines.append(
            f"| {r['name']} | {r['rps']:.0f} | {r['lat_p50_ms']:.1f} | {r['lat_p90_ms']:.1f} |"
            f" {r['lat_p99_ms']:.1f} | {r['lat_max_ms']:.1f} | {r['non_2xx']} | {sock} |"
        )
    h = report["headers_nearby"]
    lines += [
        "",
        f"nearby / bare throughput: {near:.0f} / {bare:.0f} req/s = {near / bare:.1%}"
        f" (target ≥ 90%: {'met' if near / bare >= 0.9 else 'NOT met'});"
        f" worst nearby p99 {p99:.1f} ms (target ≤ 25 ms: {'met' if p99 <= 25 else 'NOT met'}).",
        f"Cache-Control on {h['sampled']} nearby responses: {h['cache_control_values']},"
        f" {len(h['bad'])} wrong; filters: {report['headers_filters']['cache_control_values']};"
        f" bare: {report['headers_bare']['cache_control_values']}.",
        f"gunicorn error log: {report['error_log']}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
