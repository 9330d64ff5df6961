"""``INSERT … RETURNING`` without the ORM's per-call compiling: :func:`insert_rows` for the hot
path of large imports (R41), :func:`insert_one` for hot single-row writes (ADR 0018).

``QuerySet.bulk_create`` builds a model instance per row and compiles every value through the
SQL compiler, which is most of the cost of landing a 100,000-row roster; it also splits
SQLite inserts into statements of at most 999 parameters. :func:`insert_rows` takes plain
dicts keyed by field ``attname``, fills the fields' defaults, prepares each value with the
field's own ``get_db_prep_save`` where the field needs it (encrypted fields encrypt, dates and
times are adapted as the ORM would), and sends one multi-row statement per chunk. It sends no
signals and skips ``save()``: the caller has validated the rows.
"""

from __future__ import annotations

import functools

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

#: Field types whose database value is the attribute itself (a ``str``, ``int``, ``bool`` or
#: ``None``) on both engines; exact types, so a subclass such as an encrypted text field still
#: goes through its own ``get_db_prep_save``.
PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.OneToOneField,
)

#: Parameters per statement: below SQLite's default limit (32,766 since 3.32) and PostgreSQL's
#: 65,535.
MAX_PARAMS = 30_000


def insert_rows(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert ``rows`` (``attname`` → value; missing fields take their defaults) and return
    the new primary keys, in order."""
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the thread-local proxy
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    defaults, factories = {}, {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now if isinstance(field, models.DateTimeField) else now.date()
        elif field.default is timezone.now:
            defaults[field.attname] = now  # one moment for the whole insert
        elif field.has_default() and callable(field.default):
            factories[field.attname] = field.default  # e.g. a token: a new one per row
        else:
            defaults[field.attname] = field.get_default()  # the value, or "" / None
    prep = []
    for f in fields:
        prepare = None if type(f) in PLAIN else f.get_db_prep_save
        default = defaults.get(f.attname)
        if prepare is not None and f.attname in defaults:
            default = prepare(default, connection)  # the same for every row: prepared once
        prep.append((f.attname, default, prepare))
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // len(fields))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = []
            for row in chunk:
                for attname, default, prepare in prep:
                    if attname in row:
                        value = row[attname]
                        params.append(value if prepare is None else prepare(value, connection))
                    elif attname in factories:
                        value = factories[attname]()
                        params.append(value if prepare is None else prepare(value, connection))
                    else:
                        params.append(default)
            # Identifiers come from the model's own metadata, quoted; every value is a parameter.
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + f" RETURNING {qn(pk.column)}"
            )
            cursor.execute(sql, params)
            # Both engines return a multi-row VALUES insert's rows in order, which Django's
            # own bulk_create relies on too.
            returned = [r[0] for r in cursor.fetchall()]
            if len(returned) != len(chunk):
                raise RuntimeError("INSERT … RETURNING gave a different number of rows")
            ids.extend(returned)
    return ids


#: Values a driver takes as they are; anything else goes through the field's own preparation.
_SIMPLE = (str, int, bool, type(None))


@functools.cache
def _insert_statement(model: type[models.Model], vendor: str) -> tuple[list, str]:
    """The model's one-row INSERT, built once per model and engine, with each field's plan:
    whether it has its own ``pre_save`` (``auto_now`` and the like) and whether its value may
    need preparing (anything but the ``PLAIN`` field types)."""
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    plan = [
        (f, type(f).pre_save is not models.Field.pre_save, type(f) not in PLAIN) for f in fields
    ]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Identifiers come from the model's own metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        f" RETURNING {qn(meta.pk.column)}"
    )
    return plan, sql


def insert_one(instance: models.Model) -> models.Model:
    """``instance.save(force_insert=True)`` for a hot path: the same values (each field's
    ``pre_save`` and ``get_db_prep_save``, as ``Model.save`` does, skipped only where they
    would return the value unchanged) through a statement built once per model, so a write
    pays for executing it, not for the ORM compiling it again. For models with an automatic
    primary key (the database assigns it). No signals are sent, so use it only for models
    without ``pre_save``/``post_save`` receivers (a test holds this for the models that use
    it); the caller has validated the instance."""
    connection = connections[DEFAULT_DB_ALIAS]
    plan, sql = _insert_statement(type(instance), connection.vendor)
    params = []
    for field, own_pre_save, prepare in plan:
        value = field.pre_save(instance, True) if own_pre_save else getattr(instance, field.attname)
        if prepare or type(value) not in _SIMPLE:
            value = field.get_db_prep_save(value, connection)
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    return instance
