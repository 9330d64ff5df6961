"""R41's crash test: ``kill -9`` a roster import half-way, resume it, count (issue 4).

    .venv/bin/python bench/import_crash.py [--trials 20] [--rows 10000] [--pg]

Each trial queues an import of ``--rows`` new workers, runs it in a child process
(``manage.py resume_imports --job N``, as the task worker would), sends the child ``SIGKILL``
at a random moment after its first batch is saved, then resumes the job in this process and
checks: the job is done, it counts exactly ``--rows`` created, and the database holds exactly
``--rows`` workers of that roster, all distinct, each with one employment row. On SQLite by
default (the embedded tier); ``--pg`` runs on a fresh PostgreSQL database.
Writes ``$BENCH_DIR/import_crash.json``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "import_crash"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--pg", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    url = common.recreate_pg_database("wb_import_crash") if args.pg else None
    env = common.app_env(WORK / "data", url, WARMBEE_IMPORT_STALE_SECONDS="1")
    common.bootstrap(env)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.core import import_jobs, tabular
    from warmbee.core.demo import DemoContext
    from warmbee.core.models import ImportJob
    from warmbee.orgs import demo as orgs_demo
    from warmbee.orgs.models import Outlet
    from warmbee.regions.loader import load_regions
    from warmbee.regions.models import Region
    from warmbee.workers import imports
    from warmbee.workers.models import Employment, Worker

    call_command("migrate", interactive=False, verbosity=0)
    load_regions(townships=["2306"])
    orgs_demo.build(DemoContext(city_code="230600"))
    actor = operator_user_create(
        phone="+8617000000002",
        name="基准测试",
        role=Role.CITY_OFFICER,
        region=Region.objects.get(code="230600"),
    )
    outlets = list(Outlet.objects.unscoped(reason="bench").select_related("company"))
    rng = random.Random(41)
    results = []
    for trial in range(args.trials):
        prefix = f"171{trial:02d}"
        rows = [
            {
                "name": f"工人{i}",
                "phone": f"{prefix}{i:06d}",
                "company": (o := rng.choice(outlets)).company.name,
                "outlet": o.name,
            }
            for i in range(args.rows)
        ]
        content = tabular.export_xlsx(imports.LAYOUT, rows)
        job = import_jobs.create(
            actor=actor,
            kind="workers.roster",
            upload=SimpleUploadedFile("roster.xlsx", content),
            mode=tabular.ALL_OR_NOTHING,
            dry_run=False,
        )
        child = subprocess.Popen(
            [sys.executable, "manage.py", "resume_imports", "--job", str(job.pk)],
            cwd=common.REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Wait for the first saved batch, then a random part of a batch more.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            if ImportJob.objects.filter(pk=job.pk, checkpoint__gt=0).exists():
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.15))
        killed = child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait()
        job.refresh_from_db()
        at_kill = {"status": job.status, "written_rows": job.written_rows}
        time.sleep(1.2)  # past WARMBEE_IMPORT_STALE_SECONDS
        job = import_jobs.run(job.pk) or ImportJob.objects.get(pk=job.pk)
        mine = Worker.objects.unscoped(reason="bench").filter(phone__startswith=f"+86{prefix}")
        count = mine.count()
        distinct = mine.values("phone").distinct().count()
        employments = Employment.objects.unscoped(reason="bench").filter(worker__in=mine).count()
        ok = job.status == "done" and job.created == count == distinct == employments == args.rows
        results.append(
            {
                "trial": trial,
                "killed_mid_import": killed and at_kill["status"] != "done",
                "at_kill": at_kill,
                "created": job.created,
                "workers": count,
                "distinct": distinct,
                "employments": employments,
                "attempts": job.attempts,
                "ok": ok,
            }
        )
        print(results[-1], flush=True)
    passed = sum(r["ok"] for r in results)
    killed = sum(r["killed_mid_import"] for r in results)
    summary = {
        "machine": common.machine_info(),
        "engine": "postgresql" if args.pg else "sqlite",
        "rows": args.rows,
        "trials": args.trials,
        "killed_mid_import": killed,
        "passed": passed,
        "results": results,
    }
    common.write_json(common.BENCH_DIR / "import_crash.json", summary)
    print(f"{passed}/{args.trials} exact after kill -9 ({killed} killed while writing)")
    sys.exit(0 if passed == args.trials else 1)


if __name__ == "__main__":
    main()
