"""Report intake over HTTP (photo excluded) against a bare endpoint of the same framework.

    .venv/bin/python bench/civic_intake.py [--seconds 15] [--areas 400] [--handler]

1. A fresh SQLite data dir (the embedded tier) migrated with the Daqing regions, ``--areas``
   grid areas of 0.005° on a lattice over 萨尔图区 owned by 萨尔图街道, the demo categories, a
   district routing rule and one Open311 API key.
2. gunicorn as the Makefile starts it (2 sync workers) on ``bench.benchsite.settings`` (WarmBee's
   settings plus ``/bench/civic/bare/requests.json``), the API key's rate limit lifted by
   ``WARMBEE_CIVIC_RATE_API``.
3. wrk (2 threads, 20 connections, ``bench/wrk/civic_intake.lua``) POSTs Open311
   ``requests.json`` form bodies: API key, service code, a random pin inside the lattice, a
   description and a fresh idempotency key per request — each one a full intake: key look-up,
   routing (STRtree), the near-duplicate query, then in one transaction the rate-limit count,
   the insert (its idempotency key unique), the timeline event and the audit row. The bench
   data has no handler accounts, so no inbox rows are written; with ``--handler`` the street's
   community officer exists and each new report also writes their inbox row in the same
   transaction, as in a deployment (SMS stay off, the default ``WARMBEE_CIVIC_SMS=0``). Then the
   same
   bodies to the bare endpoint (parses the form, answers
   the same 201 shape, no database). Alternated twice; the best run of each is reported.

Results: ``$BENCH_DIR/civic_intake.json`` and a Markdown table on stdout. Target: intake ≥ 30%
of the bare rate.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "civic"
DATA = WORK / "data"
KEYFILE = WORK / "api-key.txt"
LAT0, LNG0, STEP = 46.58, 125.00, 0.005
NO_KEY_LIMIT = {"WARMBEE_CIVIC_RATE_API": str(10**9)}  # every request an intake, none a 429


def prepare(areas: int, handler: bool = False) -> int:
    """In a child: migrate, regions, the lattice of grid areas, categories, a key; with
    ``handler``, the street's community officer (so each new report also writes their inbox
    row, as in a real deployment)."""
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
    if handler:
        from warmbee.accounts.roles import Role
        from warmbee.accounts.services import operator_user_create

        operator_user_create(
            phone="13900001111", name="网格员", role=Role.COMMUNITY_OFFICER,
            region=Region.objects.get(code="230602013"),
        )  # fmt: skip
    return side


def run_wrk(url: str, seconds: int, side: int) -> dict:
    env = {"WRK_KEY": KEYFILE.read_text(), "WRK_SIDE": str(side)}
    env |= {"WRK_LAT0": repr(LAT0), "WRK_LNG0": repr(LNG0), "WRK_STEP": repr(STEP)}
    return common.run_wrk(url, "civic_intake.lua", seconds, connections=20, threads=2, env=env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--areas", type=int, default=400)
    parser.add_argument(
        "--handler",
        action="store_true",
        help="add the street's community officer: each new report also writes their inbox row",
    )
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    side_file = WORK / "side.txt"
    code = (
        f"import sys; sys.path.insert(0, {str(common.REPO)!r}); "
        "from bench import civic_intake as c; "
        f"open({str(side_file)!r}, 'w').write(str(c.prepare({args.areas}, {args.handler})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    side = int(side_file.read_text())
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
        "handler": args.handler,
        "runs": runs,
        "ratio": ratio,
        "log": common.log_problems(log),
    }
    name = "civic_intake_handler.json" if args.handler else "civic_intake.json"
    common.write_json(common.BENCH_DIR / name, report)
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
