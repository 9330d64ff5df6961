"""Writers on the embedded SQLite tier queue on a file lock instead of sleeping (core/sqlite)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from warmbee.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded tier only")


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    with django_db_blocker.unblock():  # these tests open their own connections to a temp file
        yield


def wrapper(path, timeout: float = 20) -> DatabaseWrapper:
    from django.conf import settings as django_settings

    settings_dict = {
        **connection.settings_dict,
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": timeout,
            "init_command": django_settings.SQLITE_PRAGMAS,
        },
    }
    return DatabaseWrapper(settings_dict, alias=f"queue-{id(settings_dict)}")


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path):
    path = tmp_path / "q.sqlite3"
    first = wrapper(path)
    first.ensure_connection()
    with first.cursor() as c:
        c.execute("CREATE TABLE t (n INTEGER)")
    order: list[str] = []
    first.set_autocommit(True)
    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO t VALUES (1)")
    started = threading.Event()

    def write():
        # Its own connection (a connection belongs to its thread), with SQLite's busy wait off:
        # without the queue, BEGIN IMMEDIATE would fail at once with "database is locked".
        second = wrapper(path, timeout=0)
        second.ensure_connection()
        second.cursor().execute("PRAGMA busy_timeout=0")
        started.set()
        second._start_transaction_under_autocommit()  # blocks on the file lock
        order.append("second-in")
        second.cursor().execute("INSERT INTO t VALUES (2)")
        second._commit()
        second.close()

    thread = threading.Thread(target=write)
    thread.start()
    started.wait()
    thread.join(timeout=0.3)
    assert thread.is_alive() and order == []  # queued, not failed
    order.append("first-commit")
    first._commit()
    thread.join()
    assert order == ["first-commit", "second-in"]
    with first.cursor() as c:
        c.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in c.fetchall()] == [1, 2]
    first.close()


def test_rollback_and_close_release_the_lock(tmp_path):
    path = tmp_path / "r.sqlite3"
    first = wrapper(path)
    first.ensure_connection()
    first._start_transaction_under_autocommit()
    first._rollback()
    assert not first._wb_locked
    first._start_transaction_under_autocommit()
    first.close()
    second = wrapper(path)
    second.ensure_connection()
    second._start_transaction_under_autocommit()  # would block forever if close kept the lock
    second._commit()
    second.close()
    assert (tmp_path / "r.sqlite3.writelock").exists()
