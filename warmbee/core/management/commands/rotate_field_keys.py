"""Re-encrypt every encrypted field with the first key of ``FIELD_ENCRYPTION_KEYS`` (R24).

Rotation: put the new key first, keep the old one after it, run this command, then remove the
old key. Idempotent and batched; values already under the current key are left alone.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from warmbee.core import crypto

BATCH = 500


def encrypted_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, crypto.EncryptedTextField):
                yield model, field


def rotate() -> dict[str, int]:
    current = crypto.current_key_id()
    done: dict[str, int] = {}
    for model, field in encrypted_fields():
        table, column = model._meta.db_table, field.column
        pk = model._meta.pk.column
        qn = connection.ops.quote_name
        count, last = 0, None
        while True:
            with connection.cursor() as cursor:
                # Identifiers come from model metadata, quoted; values are parameters.
                sql = f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''"  # noqa: S608
                params: list = []
                if last is not None:
                    sql += f" AND {qn(pk)} > %s"
                    params.append(last)
                cursor.execute(sql + f" ORDER BY {qn(pk)} LIMIT {BATCH}", params)
                rows = cursor.fetchall()
            if not rows:
                break
            context = field._context()
            with transaction.atomic(), connection.cursor() as cursor:
                for row_pk, token in rows:
                    if crypto.key_id_of(token) == current:
                        continue
                    value = crypto.decrypt(token, context=context)
                    cursor.execute(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608
                        [crypto.encrypt(value, context=context), row_pk],
                    )
                    count += 1
            last = rows[-1][0]
        done[f"{model._meta.label}.{field.name}"] = count
    return done


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of WARMBEE_FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        for name, count in rotate().items():
            self.stdout.write(f"{name}: {count} re-encrypted")
