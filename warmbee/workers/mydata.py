"""Everything held about one person, for them to see and download (R27).

The export walks every model with a foreign key to the account or to the worker profile
(``apps.get_models()``), so a table added later is included without anyone remembering to.
Credentials (password hash, one-time codes, MFA secrets) are held about the person but are not
shown; the resident ID number appears masked (it is the person's own, but a download may be
left on a shared phone).
"""

from __future__ import annotations

import csv
import io
import json

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from warmbee.core import tabular
from warmbee.core.pi import mask_id_number

from .models import Worker

# Secrets about the person that an export never contains.
EXCLUDED_FIELDS = {"password", "code_hash", "nonce", "id_number_index", "key", "code_hashes"}
EXCLUDED_MODELS = {"accounts.usersession", "notify.onetimecode", "audit.auditevent"}


def _row(obj) -> dict:
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in EXCLUDED_FIELDS:
            continue
        value = getattr(obj, f.attname)
        if f.name == "id_number":
            value = mask_id_number(value)
        out[f.name] = value
    return out


def _related(model, owner_model, owner) -> list:
    fields = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey | models.OneToOneField)
        and f.related_model is owner_model
        # Who acted (granted_by, recorded_by, handled_by, by) or is assigned (instructor) is not
        # whose data the row is.
        and not f.name.endswith("_by")
        and f.name not in {"by", "instructor"}
    ]
    rows = []
    for f in fields:
        manager = model._default_manager
        qs = manager.get_queryset()
        if hasattr(qs, "unscoped"):
            qs = qs.unscoped(reason="the person's own data")
        rows += list(qs.filter(**{f.name: owner}).order_by("pk"))
    return rows


def collect(user) -> dict[str, list[dict]]:
    from warmbee.accounts.models import User

    data: dict[str, list[dict]] = {"accounts.user": [_row(user)]}
    worker = Worker.objects.unscoped(reason="the person's own data").filter(user=user).first()
    owners = [(User, user)] + ([(Worker, worker)] if worker else [])
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in EXCLUDED_MODELS or label == "accounts.user":
            continue
        for owner_model, owner in owners:
            objs = [] if model is owner_model else _related(model, owner_model, owner)
            if objs:
                data.setdefault(label, []).extend(_row(o) for o in objs)
    return data


def as_json(user) -> bytes:
    return json.dumps(collect(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def as_csv(user) -> bytes:
    """One CSV: table, row, field, value (UTF-8 with BOM so Excel reads Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["table", "row", "field", "value"])
    for table, rows in collect(user).items():
        for i, row in enumerate(rows, 1):
            for name, value in row.items():
                text = (
                    json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
                    if isinstance(value, dict | list)
                    else ("" if value is None else str(value))
                )
                writer.writerow([table, i, name, tabular.neutralise(text)])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
