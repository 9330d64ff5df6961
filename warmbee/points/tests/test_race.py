"""The race harness (R37, R38): 8 processes × 20 confirmations against a balance for exactly 10.

Runs on both engines. Each process has its own database connection. On SQLite the test
database lives in memory, so it is copied into a file that the processes share (WAL, IMMEDIATE
transactions, the write queue of ADR 0007 — the production settings); on PostgreSQL the
transactional test database is committed and visible to every process.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3

import pytest
from django.db import OperationalError, connection, connections

from warmbee.core.errors import DomainError
from warmbee.points import services
from warmbee.points.models import Goods, LedgerEntry, PointsAccount, Redemption

PROCESSES = int(os.environ.get("RACE_PROCESSES", 8))
ATTEMPTS = 20
GRANTS = 10

pytestmark = pytest.mark.django_db(transaction=True)


def _shared_database(tmp_path) -> str | None:
    """The file the processes share on SQLite (a copy of the in-memory test database)."""
    if connection.vendor != "sqlite":
        return None
    if not connection.is_in_memory_db():
        return str(connection.settings_dict["NAME"])
    path = str(tmp_path / "race.sqlite3")
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    return path


def _child(db_path, user, redemption_ids, start, results) -> None:
    outcome: list[str] = []
    try:
        if db_path is not None:
            conn = connections["default"]
            conn.connection = None  # the parent's handle is not ours to use or close
            conn.settings_dict["NAME"] = db_path
        start.wait()
        for pk in redemption_ids:
            redemption = Redemption.objects.unscoped(reason="race").get(pk=pk)
            try:
                services.redemption_confirm(actor=user, redemption=redemption)
                outcome.append("ok")
            except DomainError as exc:
                outcome.append(exc.code)
            except OperationalError as exc:
                outcome.append("locked" if "locked" in str(exc) else f"error:{exc}")
        connections.close_all()
    except BaseException as exc:  # report, never hang the parent
        outcome.append(f"crash:{exc!r}")
    finally:
        results.put(outcome)
        results.close()
        results.join_thread()  # the queue's feeder thread must flush before the exit
        os._exit(0)


def _run(db_path, user, batches) -> list[str]:
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(db_path, user, batch, start, results)) for batch in batches
    ]
    for p in procs:
        p.start()
    start.set()
    outcomes = [item for _ in procs for item in results.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
    return outcomes


def _state(db_path, account_id, goods_id) -> dict:
    if db_path is not None and connection.is_in_memory_db():
        db = sqlite3.connect(db_path)
        one = lambda sql, *a: db.execute(sql, a).fetchone()[0]  # noqa: E731
        state = {
            "balance": one("SELECT balance FROM points_pointsaccount WHERE id=?", account_id),
            "sum": one("SELECT SUM(points) FROM points_ledgerentry WHERE account_id=?", account_id),
            "confirmed": one("SELECT COUNT(*) FROM points_redemption WHERE status='confirmed'"),
            "stock": one("SELECT stock FROM points_goods WHERE id=?", goods_id),
        }
        db.close()
        return state
    entries = LedgerEntry.objects.unscoped(reason="test").filter(account_id=account_id)
    return {
        "balance": PointsAccount.objects.unscoped(reason="test").get(pk=account_id).balance,
        "sum": sum(entries.values_list("points", flat=True)),
        "confirmed": Redemption.objects.unscoped(reason="test").filter(status="confirmed").count(),
        "stock": Goods.objects.unscoped(reason="test").get(pk=goods_id).stock,
    }


def _setup(personas, worker, station, n: int):
    services.adjustment_propose(
        actor=personas["district_officer"],
        worker=worker,
        points=GRANTS,
        reason="race harness",
        idempotency_key="race:grant",
    )
    goods = Goods.objects.create(station=station, name="热水", points=1, stock=1000)
    account = services.account_for(worker)
    ids = [
        services.redemption_start(
            actor=personas["host"],
            station=station,
            code=account.redeem_code,
            goods=goods,
            quantity=1,
            idempotency_key=f"race:{i}",
        ).pk
        for i in range(n)
    ]
    return account, goods, ids


def test_no_double_spend_under_concurrency(personas, worker, station, tmp_path):
    account, goods, ids = _setup(personas, worker, station, PROCESSES * ATTEMPTS)
    db_path = _shared_database(tmp_path)
    batches = [ids[i::PROCESSES] for i in range(PROCESSES)]
    outcomes = _run(db_path, personas["courier"], batches)
    assert len(outcomes) == PROCESSES * ATTEMPTS
    assert outcomes.count("ok") == GRANTS
    assert outcomes.count("points_insufficient") == PROCESSES * ATTEMPTS - GRANTS
    assert "locked" not in outcomes
    state = _state(db_path, account.pk, goods.pk)
    assert state == {"balance": 0, "sum": 0, "confirmed": GRANTS, "stock": 1000 - GRANTS}


def test_concurrent_retries_of_one_confirmation_have_one_effect(
    personas, worker, station, tmp_path
):
    account, goods, ids = _setup(personas, worker, station, 1)
    db_path = _shared_database(tmp_path)
    outcomes = _run(db_path, personas["courier"], [ids * ATTEMPTS for _ in range(PROCESSES)])
    assert set(outcomes) == {"ok"}  # every retry answers with the one confirmed redemption
    state = _state(db_path, account.pk, goods.pk)
    assert state == {"balance": GRANTS - 1, "sum": GRANTS - 1, "confirmed": 1, "stock": 999}
