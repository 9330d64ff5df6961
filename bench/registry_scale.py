"""The registry at national scale on PostgreSQL (issue 4).

    .venv/bin/python bench/registry_scale.py [--workers 4000000] [--outlets 300000]

1. A fresh database ``warmbee_bench_registry`` migrated by the app, with every province,
   prefecture and county of GB/T 2260.
2. Twelve brands at the country, a local company per brand and province, ``--outlets`` outlets
   spread over the counties, ``--workers`` workers at those outlets (created over three years),
   90 % union members, 90 % insured, 20 % with a certificate — loaded with ``COPY``, then
   ``VACUUM (ANALYZE)`` (what autovacuum does once a table settles).
3. A province officer of 广东省 (440000), the most populous province in the data.
4. The coverage counts rebuilt once (``workers.coverage.refresh``, timed), then timed, 200
   times each (after 10 warm-up runs), through the app's own selectors:
   * the first page of the worker list filtered by one company — ``Paginator.count`` plus the
     50 rows with their company, outlet and region, as the console page runs them;
   * the coverage table of the province by prefecture (``workers.coverage.coverage``).
   Query counts are captured and ``EXPLAIN (ANALYZE, BUFFERS)`` of each query is written to
   ``$BENCH_DIR/registry_scale_plans.txt``.

Prints p50/p95 and query counts; writes ``$BENCH_DIR/registry_scale.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench import common

DB = "warmbee_bench_registry"
PROVINCE = "440000"
BRANDS = [
    "顺丰",
    "圆通",
    "申通",
    "中通",
    "韵达",
    "极兔",
    "京东",
    "邮政",
    "德邦",
    "美团",
    "饿了么",
    "滴滴",
]
NAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    n = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(args) -> dict:
    from django.db import connection

    from warmbee.regions.models import Region

    rng = random.Random(4)
    counties = list(
        Region.objects.filter(level="county", retired=False).values_list("code", "path")
    )
    provinces = {c: p.split("/")[1] for c, p in counties}
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        raw = cur.cursor
        # Brands and one local company per brand and province.
        brand_ids = []
        for i, b in enumerate(BRANDS):
            cur.execute(
                "INSERT INTO orgs_organisation (kind, category, name, short_name, credit_code, "
                "region_id, address, phone, contact_name, contact_phone, is_active, created_at, "
                "updated_at) VALUES (%s, '', %s, %s, '', '000000', '', '', '', '', true, now(), "
                "now()) RETURNING id",
                ["platform" if i >= 9 else "company", b + "集团", b],
            )
            brand_ids.append(cur.fetchone()[0])
        local: dict[tuple[str, int], int] = {}
        for prov in sorted(set(provinces.values())):
            for i, b in enumerate(BRANDS):
                cur.execute(
                    "INSERT INTO orgs_organisation (kind, category, name, short_name, credit_code,"
                    " parent_id, region_id, address, phone, contact_name, contact_phone, "
                    "is_active, created_at, updated_at) VALUES (%s, '', %s, %s, '', %s, %s, '', "
                    "'', '', '', true, now(), now()) RETURNING id",
                    ["platform" if i >= 9 else "company", f"{b}{prov}", b, brand_ids[i], prov],
                )
                local[(prov, i)] = cur.fetchone()[0]
        weights = np.array([3 if p == PROVINCE else 1 for p in provinces.values()], dtype=float)
        weights /= weights.sum()
        npr = np.random.default_rng(5)
        outlet_county = npr.choice(len(counties), size=args.outlets, p=weights)
        outlet_brand = npr.integers(0, len(BRANDS), size=args.outlets)
        outlet_rows = []
        for i in range(args.outlets):
            code = counties[outlet_county[i]][0]
            outlet_rows.append(
                (local[(provinces[code], int(outlet_brand[i]))], f"网点{i}", f"O{i}", code)
            )
        copy_rows(
            raw,
            "orgs_outlet",
            ["company_id", "name", "code", "region_id", "address", "manager_name",
             "manager_phone", "staff_count", "is_active", "created_at", "updated_at"],
            ((c, n, k, r, "", "", "", 5, True, now, now) for c, n, k, r in outlet_rows),
        )  # fmt: skip
        cur.execute("SELECT min(id) FROM orgs_outlet")
        first_outlet = cur.fetchone()[0]
        w_outlet = npr.integers(0, args.outlets, size=args.workers)
        w_age = npr.integers(0, 3 * 365 * 24 * 60, size=args.workers)

        def workers():
            for i in range(args.workers):
                o = int(w_outlet[i])
                company, _n, _k, region = outlet_rows[o]
                created = now - dt.timedelta(minutes=int(w_age[i]))
                yield (
                    NAMES[i % len(NAMES)] + "某",
                    "",
                    f"+8613{i:09d}",
                    "courier",
                    company,
                    first_outlet + o,
                    region,
                    "",
                    "",
                    "",
                    "active",
                    "import",
                    created,
                    created,
                )

        copy_rows(
            raw,
            "workers_worker",
            ["name", "name_pinyin", "phone", "kind", "company_id", "outlet_id", "region_id",
             "employee_no", "id_number", "id_number_index", "status", "source", "created_at",
             "updated_at"],
            workers(),
        )  # fmt: skip
        cur.execute("SELECT min(id) FROM workers_worker")
        first_worker = cur.fetchone()[0]
        union = rng.sample(range(args.workers), int(args.workers * 0.9))
        today = dt.date(2026, 12, 1)
        copy_rows(
            raw,
            "workers_unionmembership",
            ["worker_id", "branch_id", "joined_on", "status", "card_no"],
            ((first_worker + i, brand_ids[0], today, "member", "") for i in union),
        )
        insured = rng.sample(range(args.workers), int(args.workers * 0.9))
        copy_rows(
            raw,
            "workers_insurance",
            ["worker_id", "kind", "insurer", "policy_no", "starts_on", "ends_on", "paid_by"],
            (
                (first_worker + i, "accident", "人保", "", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "company")
                for i in insured
            ),
        )  # fmt: skip
        certified = rng.sample(range(args.workers), int(args.workers * 0.2))
        copy_rows(
            raw,
            "workers_certificate",
            ["worker_id", "kind", "name", "level", "issuer", "issued_on", "number",
             "subsidy_claimed", "subsidy_fen"],
            ((first_worker + i, "skill", "快递员", "", "鉴定中心", today, "", False, 0) for i in certified),
        )  # fmt: skip
        # What autovacuum does to a table that has settled: statistics, and the visibility
        # map that lets counts be answered from an index alone.
        cur.execute("VACUUM (ANALYZE)")
    return {
        "load_s": round(time.perf_counter() - t0, 1),
        "company": local[(PROVINCE, 0)],
        "province_workers": None,
    }


def timed(fn, n=200, warm=10):
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - t)
    a = np.asarray(samples) / 1e6
    return {
        "p50": round(float(np.percentile(a, 50)), 2),
        "p95": round(float(np.percentile(a, 95)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4_000_000)
    parser.add_argument("--outlets", type=int, default=300_000)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database loaded last time"
    )
    parser.add_argument("--coverage-runs", type=int, default=10)
    args = parser.parse_args()
    url = f"{common.PG_DSN_BASE}/{DB}" if args.reuse else common.recreate_pg_database(DB)
    common.bootstrap(common.app_env(common.BENCH_DIR / "registry_scale", database_url=url))
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.orgs.models import Organisation
    from warmbee.regions.loader import load_regions
    from warmbee.regions.models import Region
    from warmbee.workers import coverage, selectors
    from warmbee.workers.models import Worker

    province = None
    if args.reuse:
        from warmbee.accounts.models import User

        call_command("migrate", interactive=False, verbosity=0)  # later schema changes
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
        info = {"load_s": None}
        province = Region.objects.get(code=PROVINCE)
        actor = User.objects.unscoped(reason="bench").get(phone="+8617000000001")
        company = Organisation.objects.unscoped(reason="bench").get(
            short_name=BRANDS[0], region_id=PROVINCE
        )
    else:
        call_command("migrate", interactive=False, verbosity=0)
        load_regions()
        info = load(args)
        province = Region.objects.get(code=PROVINCE)
        actor = operator_user_create(
            phone="+8617000000001", name="省级基准", role=Role.PROVINCE_OFFICER, region=province
        )
        company = Organisation.objects.unscoped(reason="bench").get(pk=info["company"])
    filters = selectors.WorkerFilters(company=company)

    def list_page():
        page = Paginator(selectors.worker_list(actor=actor, filters=filters), 50).get_page(1)
        return page.paginator.count, [(w.company.name, w.outlet.name, w.region.name) for w in page]

    def coverage_table():
        return coverage.coverage(actor=actor, region=province)

    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as q_refresh:
        coverage_counts = coverage.refresh()
    refresh_s = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute("ANALYZE workers_coveragecount")
    with CaptureQueriesContext(connection) as q_list:
        count, rows = list_page()
    with CaptureQueriesContext(connection) as q_cov:
        table = coverage_table()
    result = {
        "machine": common.machine_info(),
        "workers": args.workers,
        "outlets": args.outlets,
        "load_s": info["load_s"],
        "province_workers": Worker.objects.unscoped(reason="bench")
        .filter(region__path__startswith=province.path)
        .count(),
        "company_workers_in_province": count,
        "list_queries": len(q_list.captured_queries),
        "coverage_queries": len(q_cov.captured_queries),
        "coverage_rows": len(table),
        "coverage_refresh_s": round(refresh_s, 1),
        "coverage_refresh_queries": len(q_refresh.captured_queries),
        "coverage_count_rows": coverage_counts,
        "list_ms": timed(list_page),
        "coverage_ms": timed(coverage_table, n=args.coverage_runs, warm=1),
    }
    plans = io.StringIO()
    with connection.cursor() as cur:
        for title, queries in (("list page", q_list), ("coverage", q_cov)):
            for qd in queries.captured_queries:
                sql = qd["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plans.write(f"-- {title}\n{sql}\n")
                plans.write("\n".join(r[0] for r in cur.fetchall()) + "\n\n")
    (common.BENCH_DIR / "registry_scale_plans.txt").write_text(plans.getvalue())
    common.write_json(common.BENCH_DIR / "registry_scale.json", result)
    print(result)


if __name__ == "__main__":
    main()
