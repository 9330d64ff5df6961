"""Report intake over HTTP (photo excluded) against a bare endpoint of the same framework.

    .venv/bin/python bench/civic_intake.py [--seconds 15] [--areas 400]

1. A fresh SQLite data dir (the embedded tier) migrated with the Daqing regions, ``--areas``
   grid areas of 0.005° on a lattice over 萨尔图区 owned by 萨尔图街道, the demo categories, a
   district routing rule and one Open311 API key.
2. gunicorn as the Makefile starts it (2 sync workers) on ``bench.benchsite.settings`` (WarmBee's
   settings plus ``/bench/civic/bare/requests.json``), the API key's rate limit lifted by
   ``WARMBEE_CIVIC_RATE_API``.
3. wrk (2 threads, 20 connections) POSTs Open311 ``requests.json`` form bodies: API key,
   service code, a random pin inside the lattice, a description and a fresh idempotency key per
   request — each one a full intake: key look-up, routing (STRtree), the near-duplicate query,
   then in one transaction the rate-limit count, the insert (its idempotency key unique), the
   timeline event and the audit row. The bench data has no handler accounts, so no inbox rows
   or SMS are written (with one, an intake adds an inbox row in the same transaction and an SMS
   outbox transaction after it). Then the same bodies to the bare endpoint (parses the form, answers
   the same 201 shape, no database). Alternated twice; the best run of each is reported.

Results: ``$BENCH_DIR/civic_intake.json`` and a Markdown table on stdout. Target: intake ≥ 30%
of the bare rate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "civic"
DATA = WORK / "data"
LUA = WORK / "intake.lua"
KEYFILE = WORK / "api-key.txt"
LAT0, LNG0, STEP = 46.58, 125.00, 0.005
NO_KEY_LIMIT = {"WARMBEE_CIVIC_RATE_API": str(10**9)}  # every request an intake, none a 429

SCRIPT = textwrap.dedent(
    """
    -- Open311 POSTs with a fresh idempotency key and a random pin per request.
    local threads = {}
    local counter = 0
    function setup(thread)
      counter = counter + 1
      thread:set("tid", counter)
      table.insert(threads, thread)
    end
    function init(args)
      key = os.getenv("WRK_KEY")
      side = tonumber(os.getenv("WRK_SIDE"))
      n = 0
      codes = {}
      math.randomseed(tid * 7919)
    end
    function request()
      n = n + 1
      local lat = LAT0 + math.random() * side * STEP
      local lng = LNG0 + math.random() * side * STEP
      local body = "api_key=" .. key .. "&service_code=road&lat=" .. string.format("%.6f", lat)
        .. "&long=" .. string.format("%.6f", lng)
        .. "&description=%E8%B7%AF%E9%9D%A2%E5%A1%8C%E9%99%B7&idempotency_key=b" .. tid .. "-" .. n
        .. "-" .. os.time()
      return wrk.format("POST", nil,
        {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
    end
    function response(status, headers, body)
      codes[status] = (codes[status] or 0) + 1
    end
    function done(summary, latency, requests)
      local total = {}
      for _, thread in ipairs(threads) do
        for code, k in pairs(thread:get("codes")) do
          total[code] = (total[code] or 0) + k
        end
      end
      local parts = {}
      for code, k in pairs(total) do
        parts[#parts + 1] = string.format('"%d":%d', code, k)
      end
      io.write(string.format(
        'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,'
          .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"lat_p50_us":%d,"lat_p90_us":%d,'
          .. '"lat_p99_us":%d,"lat_max_us":%d,"lat_mean_us":%.1f,"codes":{%s}}\\n',
        summary.requests, summary.duration, summary.bytes, summary.errors.connect,
        summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        latency.mean, table.concat(parts, ",")))
    end
    """
)


def prepare(areas: int) -> int:
    """In a child: migrate, regions, the lattice of grid areas, categories, a key."""
    common.bootstrap(common.app_env(DATA, **NO_KEY_LIMIT), "bench.benchsite.settings")
    from django.core.management import call_command

    from warmbee.civic import demo
    from warmbee.civic.models import ApiClient
    from warmbee.civic.services import hash_key
    from warmbee.regions.loader import load_regions
    from warmbee.regions.models import GridArea

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    load_regions(townships=["2306"])
    side = int(areas**0.5)
    rows = []
    for i in range(side):
        for j in range(side):
            lat, lng = LAT0 + i * STEP, LNG0 + j * STEP
            ring = [[lng, lat], [lng + STEP, lat], [lng + STEP, lat + STEP], [lng, lat + STEP]]
            area = GridArea(
                code=f"B-{i}-{j}",
                name=f"网格{i}-{j}",
                region_id="230602013",
                geometry={"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            )
            area.set_bbox()
            rows.append(area)
    GridArea.objects.bulk_create(rows)
    cats = demo._categories()
    from warmbee.regions.models import Region

    demo._routing(cats, Region.objects.get(code="230600"))
    key = "wb311_bench_key_0123456789abcdef"
    ApiClient.objects.create(
        name="bench", region_id="230602", key_prefix=key[6:12], key_hash=hash_key(key)
    )
    KEYFILE.write_text(key)
    return side


def run_wrk(url: str, seconds: int, side: int) -> dict:
    env = {**os.environ, "WRK_KEY": KEYFILE.read_text(), "WRK_SIDE": str(side)}
    cmd = ["wrk", "-t", "2", "-c", "20", "-d", f"{seconds}s", "--timeout", "10s", "--latency"]
    cmd += ["-s", str(LUA), url]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stdout + proc.stderr)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line[len("WRKJSON ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["non_2xx"] = sum(n for c, n in data["codes"].items() if not c.startswith("2"))
    for k in ("lat_p50_us", "lat_p99_us"):
        data[k.replace("_us", "_ms")] = data.pop(k) / 1000
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--areas", type=int, default=400)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    side_file = WORK / "side.txt"
    code = (
        f"import sys; sys.path.insert(0, {str(common.REPO)!r}); "
        "from bench import civic_intake as c; "
        f"open({str(side_file)!r}, 'w').write(str(c.prepare({args.areas})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    side = int(side_file.read_text())
    LUA.write_text(
        SCRIPT.replace("LAT0", repr(LAT0)).replace("LNG0", repr(LNG0)).replace("STEP", repr(STEP))
    )
    port = common.free_port()
    log = WORK / "gunicorn.log"
    env = common.app_env(DATA, **NO_KEY_LIMIT)
    env["DJANGO_SETTINGS_MODULE"] = "bench.benchsite.settings"
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "warmbee.wsgi", "--chdir"]
    cmd += [str(common.REPO), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    cmd += ["--error-logfile", str(log), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, cwd=common.REPO, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    runs = []
    try:
        common.wait_http(base + "/open311/v2/services.json")
        intake_url = base + "/open311/v2/requests.json"
        bare_url = base + "/bench/civic/bare/requests.json"
        run_wrk(intake_url, 3, side)  # warm-up
        for _ in range(2):
            for name, url in (("intake", intake_url), ("bare", bare_url)):
                result = run_wrk(url, args.seconds, side)
                result["name"] = name
                runs.append(result)
    finally:
        common.stop_gunicorn(proc)
    best = {
        n: max((r for r in runs if r["name"] == n), key=lambda r: r["rps"])
        for n in ("intake", "bare")
    }
    ratio = best["intake"]["rps"] / best["bare"]["rps"]
    report = {
        "machine": common.machine_info(),
        "areas": side * side,
        "runs": runs,
        "ratio": ratio,
        "log": common.log_problems(log),
    }
    common.write_json(common.BENCH_DIR / "civic_intake.json", report)
    print("| endpoint | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(
            f"| {r['name']} | {r['rps']:.0f} | {r['lat_p50_ms']:.1f} | {r['lat_p99_ms']:.1f} "
            f"| {r['non_2xx']} |"
        )
    print(f"\nintake / bare (best runs): {ratio:.1%} (target ≥ 30%); log: {report['log']}")


if __name__ == "__main__":
    main()
