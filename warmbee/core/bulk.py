"""A bulk ``INSERT … RETURNING`` for the hot path of large imports (R41).

``QuerySet.bulk_create`` compiles every value of every row through the SQL compiler, which is
most of the cost of landing a 100,000-row roster; it also splits SQLite inserts into
statements of at most 999 parameters. This builds one multi-row statement per chunk, prepares
each value with the field's own ``get_db_prep_save`` (so encrypted fields encrypt, and dates
and times are adapted exactly as the ORM would), and sets the primary keys the database
returns. It sends no signals and skips ``save()``; the caller has validated the objects.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, models

#: Parameters per statement: below SQLite's default limit (32,766 since 3.32) and PostgreSQL's
#: 65,535.
MAX_PARAMS = 30_000


def insert_returning(objs: list[models.Model]) -> list[models.Model]:
    if not objs:
        return objs
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the thread-local proxy
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                field.pre_save(obj, add=True)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // len(fields))
    prep = [(f.attname, f.get_db_prep_save) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            params = [
                prepare(getattr(obj, attname), connection)
                for obj in chunk
                for attname, prepare in prep
            ]
            # Identifiers come from the model's own metadata, quoted; every value is a parameter.
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row] * len(chunk))
                + f" RETURNING {qn(pk.column)}"
            )
            cursor.execute(sql, params)
            ids = [r[0] for r in cursor.fetchall()]
            if len(ids) != len(chunk):
                raise RuntimeError("INSERT … RETURNING gave a different number of rows")
            # Both engines return the rows of a multi-row VALUES insert in order (SQLite
            # assigns rowids in statement order; PostgreSQL preserves VALUES order).
            for obj, value in zip(chunk, ids, strict=True):
                setattr(obj, pk.attname, value)
                obj._state.adding = False
                obj._state.db = connection.alias
    return objs
