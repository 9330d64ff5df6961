"""Database-level protection of the audit table.

SQLite triggers call ``wb_audit_guard()``, a function this process registers on every connection:
it returns 1 (refuse) unless the connection is in maintenance mode. A connection that lacks the
function — the ``sqlite3`` shell, another program — gets an error, so the guard fails closed.
PostgreSQL triggers read the ``warmbee.audit_maintenance`` setting, which only ``maintenance()``
sets, inside one transaction.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver

_state = threading.local()


def _maintenance_on() -> bool:
    return getattr(_state, "on", False)


@receiver(connection_created)
def register_guard(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "wb_audit_guard", 0, lambda: 0 if _maintenance_on() else 1
        )


@contextmanager
def maintenance(using: str = "default"):
    """Allow UPDATE/DELETE on the audit table for the retention job and test-database flushes."""
    from django.db import connections

    conn = connections[using] if using else default_connection
    _state.on = True
    try:
        if conn.vendor == "postgresql":
            with transaction.atomic(using=using):
                with conn.cursor() as cursor:
                    cursor.execute("SET LOCAL warmbee.audit_maintenance = 'on'")
                yield
        else:
            yield
    finally:
        _state.on = False
