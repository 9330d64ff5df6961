"""Process-local snapshots of data that changes rarely and is read on every request (ADR 0018).

A ``Snapshot`` holds what ``build()`` returned and hands it out without a query. At most every
``refresh()`` seconds it compares a fingerprint with the one it was built from: a version token
in the shared cache, which ``invalidate()`` bumps after the writer's transaction commits, plus
whatever ``fingerprint()`` adds (a table's ``COUNT(*)`` and ``MAX(updated_at)`` catch a change
made in the admin or while the cache was unreachable, R45). A change is therefore seen by every
process within ``refresh()`` seconds, and at once by the process that made it.

DESIGN allows no in-process state that other processes need; a snapshot is only a copy, so a
process that restarts or never saw the token loses nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

log = logging.getLogger(__name__)
T = TypeVar("T")


class Snapshot(Generic[T]):
    def __init__(
        self,
        token_key: str,
        build: Callable[[tuple], T],
        *,
        refresh: Callable[[], float],
        fingerprint: Callable[[], tuple] = tuple,
    ):
        self.token_key = token_key
        self._build = build
        self._refresh = refresh
        self._fingerprint = fingerprint
        self._lock = threading.Lock()
        self.reset()

    def _token(self) -> str | None:
        try:
            value = cache.get(self.token_key)
            if value is None:
                cache.add(self.token_key, uuid.uuid4().hex, None)
                value = cache.get(self.token_key)
            return value
        except Exception:  # noqa: BLE001 - cache down (R45): the fingerprint still works
            log.warning("cache unreachable; %s freshness from the table only", self.token_key)
            return None

    def get(self, *, force: bool = False) -> T:
        """The current value, rebuilt when the data changed anywhere.

        After ``invalidate()`` and until the writer's transaction ends, this process answers from
        a provisional value built from what its transaction sees (it must see its own change),
        rebuilt after each further ``invalidate()``. The first call outside a transaction, or
        the commit, drops it, so a rollback leaves nothing wrong behind for long."""
        if self._dirty:
            if connection.in_atomic_block:
                if self._provisional is None:
                    self._provisional = self._build((None,))
                return self._provisional
            self._dirty = False
            self._provisional = None
            force = True
        fresh = time.monotonic() - self._checked < self._refresh()
        if not force and self._value is not None and fresh:
            return self._value
        with self._lock:
            key = (self._token(), *self._fingerprint())
            if force or self._value is None or key != self._key:
                self._value = self._build(key)
                self._key = key
            self._checked = time.monotonic()
            return self._value

    def reset(self) -> None:
        """Forget the value (tests)."""
        self._value: T | None = None
        self._key: tuple | None = None
        self._checked = float("-inf")
        self._dirty = False
        self._provisional: T | None = None

    def invalidate(self) -> None:
        """The data changed: this process re-checks at once, every process after the commit."""

        def bump():
            self._dirty = False
            self._provisional = None
            self._checked = float("-inf")
            try:
                cache.set(self.token_key, uuid.uuid4().hex, None)
            except Exception:  # noqa: BLE001 - the fingerprint still changes (R45)
                log.warning(
                    "cache unreachable; other processes see %s by fingerprint", self.token_key
                )

        self._dirty = True
        self._provisional = None
        transaction.on_commit(bump)
