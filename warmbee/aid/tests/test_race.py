"""The concurrent double-disbursement harness (R37, R38) on the engine the suite runs on.

Several processes, each with its own database connection, pay the same approved application at
the same moment, some with one shared idempotency key and some with their own: exactly one
ledger row, the programme's paid total equal to it, every other attempt a replay of the first
result or a 409, and no "database is locked". A second round approves more applications than the
budget holds, from several processes at once: Σ approved never passes the budget.

On SQLite the suite's in-memory database is copied to a file first (the processes need one they
can all open, and the file lock of ADR 0007 queues their writers); on PostgreSQL they connect to
the test database.
"""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time
from urllib.parse import quote

import pytest
from django.db import connection

from warmbee.aid import services
from warmbee.aid.models import AidApplication, AidProgramme, Disbursement

from .race_child import AMOUNT, child

PROCESSES = 6


def _database_url(tmp_path) -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "race.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(path)
        connection.connection.backup(dest)
        dest.close()
        return f"sqlite:///{path}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _read(url: str, sql: str, params=()):
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("?", "%s"), params)
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_concurrent_disbursement_pays_exactly_once(
    make_programme, submit, personas, make_worker, tmp_path
):
    programme = make_programme(budget_fen=4 * AMOUNT + AMOUNT // 2, evidence=[])
    district, city = personas["district_officer"], personas["city_officer"]
    paid = submit(programme, amount_fen=AMOUNT)
    services.application_review(actor=district, application=paid)
    services.application_approve(actor=city, application=paid)
    # Nine more, reviewed: the budget has room for three of them.
    pending = []
    for _ in range(9):
        app = submit(programme, actor=personas["community_officer"], worker=make_worker("230602013"),
                     amount_fen=AMOUNT)  # fmt: skip
        services.application_review(actor=district, application=app)
        pending.append(app.pk)
    url = _database_url(tmp_path)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 4
    actors = {"payer": district.pk, "approver": personas["province_officer"].pk}
    procs = []
    for i in range(PROCESSES):
        # Half share one key (a double-clicked, retried request); half bring their own.
        keys = ["shared-key-0001"] if i % 2 == 0 else [f"own-key-{i}-0001", f"own-key-{i}-0002"]
        procs.append(
            ctx.Process(target=child, args=(url, start_at, paid.pk, pending, actors, keys, out))
        )
    for p in procs:
        p.start()
    results = [r for _ in procs for r in out.get(timeout=90)]
    for p in procs:
        p.join(timeout=30)
    errors = [r for r in results if r[1].startswith("error")]
    assert errors == []
    pays = [r[1:] for r in results if r[0] == "pay"]
    assert len(pays) == PROCESSES // 2 + 2 * (PROCESSES - PROCESSES // 2)
    created = [r for r in pays if r[0] == "created"]
    assert len(created) == 1
    entry_pk = created[0][1]
    # Every replay is the first entry; every other attempt is refused with 409.
    assert {r[1] for r in pays if r[0] == "replay"} <= {entry_pk}
    assert {r[0] for r in pays} <= {"created", "replay", "already_disbursed", "wrong_state"}
    rows = _read(
        url, "SELECT id, amount_fen FROM aid_disbursement WHERE application_id = ?", [paid.pk]
    )
    assert rows == [(entry_pk, AMOUNT)]
    approvals = [r[1:] for r in results if r[0] == "approve"]
    assert len([r for r in approvals if r[0] == "approved"]) == 3, approvals
    # A process that read the application before another approved it is refused: 409 for the
    # state, or 403 because the same person already took that step.
    assert {r[0] for r in approvals} <= {
        "approved",
        "wrong_state",
        "budget_exhausted",
        "maker_checker",
    }
    ((budget, reserved, disbursed),) = _read(
        url, "SELECT budget_fen, reserved_fen, disbursed_fen FROM aid_aidprogramme WHERE id = ?",
        [programme.pk],
    )  # fmt: skip
    assert (reserved, disbursed) == (4 * AMOUNT, AMOUNT) and reserved <= budget
    ((n_approved,),) = _read(
        url, "SELECT count(*) FROM aid_aidapplication WHERE programme_id = ? AND status = 'approved'",
        [programme.pk],
    )  # fmt: skip
    assert n_approved == 3
    if connection.vendor != "sqlite":
        assert Disbursement.objects.unscoped(reason="t").count() == 1
        assert (
            AidProgramme.objects.unscoped(reason="t").get(pk=programme.pk).disbursed_fen == AMOUNT
        )
        assert AidApplication.objects.unscoped(reason="t").get(pk=paid.pk).status == "disbursed"
