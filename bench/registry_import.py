"""Worker roster import against openpyxl alone reading the same file (issue 4).

    .venv/bin/python bench/registry_import.py [--rows 5000]

1. A fresh SQLite data dir with the GB/T 2260 regions of Daqing and the organisations demo
   (12 companies and platforms, 300 outlets), and a city officer.
2. A roster of ``--rows`` new workers at those outlets (an ID number on every fourth row) written
   with the project's own exporter (text-formatted columns, as officers receive the template).
3. Reference: ``openpyxl.load_workbook(read_only=True, data_only=True)`` iterating every cell
   value of the sheet — the floor for any xlsx import.
4. WarmBee: the roster import job (``core.import_jobs`` with ``workers.imports.RosterImporter``):
   the check pass, then the write pass in batches with their audit rows.

Prints rows/s for both, the ratio, and the tracemalloc peak of each phase; writes
``$BENCH_DIR/registry_import.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

WORK = common.BENCH_DIR / "registry_import"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed import")
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    common.bootstrap(common.app_env(WORK / "data"))
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import translation
    from openpyxl import load_workbook

    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.core import import_jobs, tabular
    from warmbee.core.demo import DemoContext
    from warmbee.orgs import demo as orgs_demo
    from warmbee.orgs.models import Outlet
    from warmbee.regions.loader import load_regions
    from warmbee.regions.models import Region
    from warmbee.workers import imports
    from warmbee.workers.demo import _id_number, _name
    from warmbee.workers.models import Worker

    call_command("migrate", interactive=False, verbosity=0)
    load_regions(townships=["2306"])
    orgs_demo.build(DemoContext(city_code="230600"))
    actor = operator_user_create(
        phone="+8617000000001",
        name="基准测试",
        role=Role.CITY_OFFICER,
        region=Region.objects.get(code="230600"),
    )
    translation.activate("zh-hans")
    outlets = list(Outlet.objects.unscoped(reason="bench").select_related("company"))
    rng = random.Random(1)
    rows = []
    for i in range(args.rows):
        outlet = rng.choice(outlets)
        rows.append(
            {
                "name": _name(rng),
                "phone": f"172{i:08d}",
                "company": outlet.company.name,
                "outlet": outlet.name,
                "kind": "快递员",
                "employee_no": f"B{i:07d}",
                "started_on": "2025-03-01",
                "id_number": _id_number(rng, "230602") if i % 4 == 0 else "",
            }
        )
    content = tabular.export_xlsx(imports.LAYOUT, rows)
    (WORK / "roster.xlsx").write_bytes(content)

    def read_reference() -> int:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        n = sum(1 for row in wb.active.iter_rows(values_only=True) for _v in row)
        wb.close()
        return n

    def run_import(data: bytes, *, dry_run: bool):
        job = import_jobs.create(
            actor=actor,
            kind="workers.roster",
            upload=SimpleUploadedFile("roster.xlsx", data),
            mode=tabular.ALL_OR_NOTHING,
            dry_run=dry_run,
        )
        return import_jobs.run(job.pk)

    # Timed without tracing; memory peaks from separate traced passes (tracemalloc slows code
    # several times): the reference, and dry runs of the import over the first tenth of the
    # rows and over all of them (constant memory: the two peaks should be close).
    t0 = time.perf_counter()
    cells = read_reference()
    ref_s = time.perf_counter() - t0
    profiler = cProfile.Profile() if args.profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    job = run_import(content, dry_run=False)
    if profiler:
        profiler.disable()
    app_s = time.perf_counter() - t0
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(70)
    assert (job.status, job.created) == ("done", args.rows), (job.status, job.errors[:5])
    assert Worker.objects.unscoped(reason="bench").count() == args.rows
    t0 = time.perf_counter()
    run_import(content, dry_run=True)  # the check pass alone (every row now "unchanged")
    check_s = time.perf_counter() - t0
    tracemalloc.start()
    read_reference()
    ref_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peaks = {}
    tenth = tabular.export_xlsx(imports.LAYOUT, rows[: max(args.rows // 10, 1)])
    for label, data in (("tenth", tenth), ("all", content)):
        tracemalloc.start()
        run_import(data, dry_run=True)
        peaks[label] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    app_peak = peaks["all"]

    result = {
        "machine": common.machine_info(),
        "rows": args.rows,
        "cells": cells,
        "openpyxl_read_only_s": round(ref_s, 3),
        "openpyxl_rows_per_s": round(args.rows / ref_s),
        "openpyxl_peak_mb": round(ref_peak / 2**20, 1),
        "warmbee_import_s": round(app_s, 3),
        "warmbee_rows_per_s": round(args.rows / app_s),
        "warmbee_peak_mb": round(app_peak / 2**20, 1),
        "check_pass_of_existing_rows_s": round(check_s, 3),
        "warmbee_peak_tenth_mb": round(peaks["tenth"] / 2**20, 1),
        "file_mb": round(len(content) / 2**20, 2),
        "ratio": round(ref_s / app_s, 4),
    }
    common.write_json(common.BENCH_DIR / "registry_import.json", result)
    print(
        "| rows | openpyxl read-only rows/s | WarmBee import rows/s | ratio | peak MB "
        "(openpyxl / WarmBee dry run, tenth of the rows / all) |"
    )
    print("|---:|---:|---:|---:|---|")
    print(
        f"| {args.rows} | {result['openpyxl_rows_per_s']} | {result['warmbee_rows_per_s']} | "
        f"{result['ratio'] * 100:.1f} % | {result['openpyxl_peak_mb']} / "
        f"{result['warmbee_peak_tenth_mb']} / {result['warmbee_peak_mb']} |"
    )
    print(f"reference {ref_s:.2f} s, import {app_s:.2f} s, check pass alone {check_s:.2f} s")


if __name__ == "__main__":
    main()
