"""Refuse to run on database settings that can lose acknowledged writes (R42).

Every new connection is checked as it opens, so the web server, the task worker and every
management command refuse to work on an unsafe database. ``manage.py selfcheck`` prints the
same findings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created
from django.dispatch import receiver

MIN_BUSY_TIMEOUT_MS = 5000


def sqlite_findings(connection) -> list[str]:
    problems = []
    cursor = connection.connection.cursor()
    try:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0].lower()
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
        busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    finally:
        cursor.close()
    in_memory = connection.is_in_memory_db()
    if journal != "wal" and not (in_memory and journal == "memory"):
        problems.append(f"SQLite journal_mode is {journal!r}, expected 'wal'")
    if synchronous != 2:
        problems.append(f"SQLite synchronous is {synchronous}, expected 2 (FULL)")
    if foreign_keys != 1:
        problems.append("SQLite foreign_keys is off")
    if busy < MIN_BUSY_TIMEOUT_MS:
        problems.append(
            f"SQLite busy_timeout is {busy} ms, expected at least {MIN_BUSY_TIMEOUT_MS}"
        )
    if getattr(connection, "transaction_mode", None) != "IMMEDIATE":
        problems.append("SQLite transactions are not IMMEDIATE")
    return problems


def postgresql_findings(connection) -> list[str]:
    problems = []
    cursor = connection.connection.cursor()
    try:
        cursor.execute(
            "SELECT current_setting('fsync'), current_setting('synchronous_commit'),"
            " current_setting('full_page_writes')"
        )
        fsync, synchronous_commit, full_page_writes = cursor.fetchone()
    finally:
        cursor.close()
    if fsync != "on":
        problems.append(f"PostgreSQL fsync is {fsync!r}, expected 'on'")
    if synchronous_commit not in {"on", "remote_write", "remote_apply"}:
        problems.append(f"PostgreSQL synchronous_commit is {synchronous_commit!r}, expected 'on'")
    if full_page_writes != "on":
        problems.append(f"PostgreSQL full_page_writes is {full_page_writes!r}, expected 'on'")
    return problems


def findings(connection) -> list[str]:
    if connection.vendor == "sqlite":
        return sqlite_findings(connection)
    if connection.vendor == "postgresql":
        return postgresql_findings(connection)
    return [f"unsupported database vendor {connection.vendor!r}"]


@receiver(connection_created)
def check_new_connection(sender, connection, **kwargs) -> None:
    if not settings.DURABILITY_CHECK:
        return
    problems = findings(connection)
    if problems:
        raise ImproperlyConfigured(
            "Unsafe database durability settings: "
            + "; ".join(problems)
            + ". See docs/operations.md."
        )
