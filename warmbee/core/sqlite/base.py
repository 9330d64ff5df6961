"""SQLite for the embedded tier, with writers queued on a file lock.

SQLite lets one writer in at a time. A second process that finds the write lock taken is put to
sleep by SQLite's busy handler in growing steps (1, 2, 5 … 100 ms) and retries, so two gunicorn
workers writing small transactions spend most of their time asleep, and under load a writer can
wait long enough to fail with "database is locked". Here every write transaction (Django's
``BEGIN IMMEDIATE``) first takes an exclusive ``flock`` on a file beside the database, which
the kernel hands to the next waiter the moment it is released: writers form a queue instead of
polling. The lock is released on commit, rollback or close, and by the kernel if the process
dies. Reads take no lock (WAL). Statements outside ``transaction.atomic`` still rely on
``busy_timeout``. ADR 0005 has the measurements.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _wb_lock_fd: int | None = None
    _wb_locked = False

    def _wb_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return name + ".writelock"

    def _wb_acquire(self) -> None:
        path = self._wb_lock_path()
        if path is None or self._wb_locked:
            return
        if self._wb_lock_fd is None:
            self._wb_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._wb_lock_fd, fcntl.LOCK_EX)
        self._wb_locked = True

    def _wb_release(self) -> None:
        if self._wb_locked and self._wb_lock_fd is not None:
            fcntl.flock(self._wb_lock_fd, fcntl.LOCK_UN)
        self._wb_locked = False

    def _start_transaction_under_autocommit(self):
        self._wb_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._wb_release()
            raise

    def _commit(self):
        try:
            super()._commit()
        finally:
            self._wb_release()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._wb_release()

    def _close(self):
        try:
            super()._close()
        finally:
            self._wb_release()
            if self._wb_lock_fd is not None:
                os.close(self._wb_lock_fd)
                self._wb_lock_fd = None
