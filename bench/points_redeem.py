"""Points redemptions through the services against raw conditional-update transactions.

    WARMBEE_DATA_DIR=/tmp/wb-bench-points .venv/bin/python bench/points_redeem.py [--n 400]
    WARMBEE_DATABASE_URL=postgres://… .venv/bin/python bench/points_redeem.py [--n 400]

One process, one connection, the app's database settings (SQLite: WAL, synchronous=FULL,
busy_timeout, IMMEDIATE transactions and the write queue; PostgreSQL: as configured).

* service: ``redemption_start`` (the host's request, one transaction with its audit row) then
  ``redemption_confirm`` (the worker's confirmation: stock, balance, ledger entry, status and
  audit row in one transaction) — what one redemption at a station costs the database.
* raw: ``BEGIN; UPDATE points_pointsaccount SET balance = balance - 1 WHERE id = ? AND
  balance >= 1; COMMIT`` on a separate raw connection to the same database (``sqlite3`` or
  ``psycopg``), the same settings, in the same run.

Prints redemptions/s, raw transactions/s and the ratio (target ≥ 50%).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmbee.settings")
os.environ.setdefault("WARMBEE_DATA_DIR", "/tmp/wb-bench-points")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from warmbee.accounts.roles import Role
    from warmbee.accounts.services import operator_user_create
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.points import services
    from warmbee.points.models import Goods
    from warmbee.regions.models import Region
    from warmbee.stations.models import Station, StationHost
    from warmbee.workers.models import Source, Worker

    if not Region.objects.filter(code="230602").exists():
        call_command("load_regions", townships=["2306"], verbosity=0)
    region = Region.objects.get(code="230602")
    stamp = str(int(time.time() * 1000))[-8:]
    host = operator_user_create(
        phone=f"+86172{stamp}",
        name="压测站长",
        role=Role.STATION_HOST,
        region=region,
        password=None,
    )
    courier = operator_user_create(
        phone=f"+86173{stamp}", name="压测骑手", role=Role.WORKER, region=region, password=None
    )
    officer = operator_user_create(
        phone=f"+86175{stamp}",
        name="压测官员",
        role=Role.DISTRICT_OFFICER,
        region=region,
        password=None,
    )
    company = Organisation.objects.create(
        kind=OrgKind.COMPANY, name=f"压测快递{stamp}", region=region
    )
    worker = Worker.objects.create(
        user=courier,
        name="压测骑手",
        phone=courier.phone,
        company=company,
        region=region,
        source=Source.STAFF,
    )
    station = Station.objects.create(
        name=f"压测驿站{stamp}", address="压测路", region=region, lat=46.59, lng=125.1, tier=1
    )
    StationHost.objects.create(station=station, user=host)
    goods = Goods.objects.create(station=station, name="矿泉水", points=1, stock=10 * args.n)
    for i in range(10):  # 10 × 500 points, each at the threshold: applied at once
        services.adjustment_propose(
            actor=officer, worker=worker, points=500, reason="bench", idempotency_key=f"b{stamp}{i}"
        )
    account = services.account_for(worker)

    # service
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    pending = [
        services.redemption_start(
            actor=host,
            station=station,
            code=account.redeem_code,
            goods=goods,
            quantity=1,
            idempotency_key=f"bench:{stamp}:{i}",
        )
        for i in range(args.n)
    ]
    start_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in pending:
        services.redemption_confirm(actor=courier, redemption=r)
    confirm_s = time.perf_counter() - t0
    service_s = start_s + confirm_s
    if os.environ.get("BENCH_PROFILE"):
        prof.disable()
        import pstats

        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)

    # raw conditional update on a separate connection
    sql = "UPDATE points_pointsaccount SET balance = balance - 1 WHERE id = %s AND balance >= 1"
    if connection.vendor == "sqlite":
        import sqlite3

        raw = sqlite3.connect(settings.DATABASES["default"]["NAME"], isolation_level=None)
        raw.executescript(settings.SQLITE_PRAGMAS)
        t0 = time.perf_counter()
        for _ in range(args.n):
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(sql.replace("%s", "?"), (account.pk,))
            raw.execute("COMMIT")
        raw_s = time.perf_counter() - t0
    else:
        import psycopg

        s = settings.DATABASES["default"]
        raw = psycopg.connect(
            dbname=s["NAME"],
            user=s["USER"],
            host=s["HOST"],
            port=s["PORT"] or 5432,
            password=s["PASSWORD"] or None,
        )
        t0 = time.perf_counter()
        for _ in range(args.n):
            with raw.transaction():
                raw.execute(sql, (account.pk,))
        raw_s = time.perf_counter() - t0
    raw.close()
    account.refresh_from_db()
    service_rate, raw_rate = args.n / service_s, args.n / raw_s
    ratio = service_rate / raw_rate
    print(f"engine: {connection.vendor}, n={args.n}")
    print("| path | per second |\n| --- | --- |")
    print(f"| redemptions through the services (start + confirm) | {service_rate:.0f} |")
    print(f"| of which the host's start alone | {args.n / start_s:.0f} |")
    print(
        f"| of which the worker's confirmation alone (the debit transaction) | {args.n / confirm_s:.0f} |"
    )
    print(f"| raw conditional-update transactions | {raw_rate:.0f} |")
    print(f"ratio: {ratio:.0%} (target ≥ 50%: {'met' if ratio >= 0.5 else 'not met'})")
    print(f"ratio, confirmation alone: {args.n / confirm_s / raw_rate:.0%}")
    print(f"balance left: {account.balance} (expected {5000 - 2 * args.n})")


if __name__ == "__main__":
    main()
