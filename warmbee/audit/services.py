"""``record()``: the one way anything is written to the audit trail.

Call it inside the service's transaction, after the change: if the audit write fails, the change
fails with it (R20). Rows are chained, so writers are serialised: on PostgreSQL by a
transaction-scoped advisory lock, on SQLite by the IMMEDIATE transaction every write already holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from warmbee.core import context
from warmbee.core.bulk import insert_one

from . import chain
from .models import AuditEvent, Result

_LOCK_ID = zlib.crc32(b"warmbee.audit.chain")
_LAST_HASH = "SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1"


def _actor_fields(actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_label": "", "actor_roles": ""}
    roles = ",".join(sorted(f"{a.role}@{a.region_id}" for a in actor.active_grants()))
    return {"actor_id": actor.pk, "actor_label": actor.audit_label(), "actor_roles": roles[:400]}


def _target_fields(target) -> dict[str, str]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_label": ""}
    if isinstance(target, Model):
        label = target.audit_label() if hasattr(target, "audit_label") else str(target)
        return {
            "target_type": target._meta.label_lower,
            "target_id": str(target.pk),
            "target_label": label[:128],
        }
    kind, ident = target
    return {"target_type": kind, "target_id": str(ident), "target_label": ""}


def diff(before: dict, after: dict, fields: Iterable[str] | None = None) -> dict:
    """``{"field": [old, new]}`` for the fields that changed."""
    names = fields if fields is not None else sorted(set(before) | set(after))
    return {
        name: [before.get(name), after.get(name)]
        for name in names
        if before.get(name) != after.get(name)
    }


def record(
    *,
    actor,
    action: str,
    target: Model | tuple[str, Any] | None = None,
    region=None,
    changes: dict | None = None,
    reason: str = "",
    result: str = Result.OK,
) -> AuditEvent:
    ctx = context.current()
    values = {
        "at": timezone.now(),
        **_actor_fields(actor),
        "action": action,
        "result": result,
        **_target_fields(target),
        "region_id": getattr(region, "pk", region) or None,
        "changes": changes or {},
        "reason": (reason or "")[:500],
        "ip": ctx.ip,
        "request_id": ctx.request_id,
        "channel": ctx.channel,
    }
    # Round-trip JSON so the hashed value is exactly what the database will return.
    values["changes"] = AuditEvent._meta.get_field("changes").to_python(
        _jsonable(values["changes"])
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        cursor.execute(_LAST_HASH)
        row = cursor.fetchone()
        prev = row[0] if row else chain.GENESIS
        event = AuditEvent(**values, prev_hash=prev, hash=chain.compute(prev, values))
        # The INSERT is built once and executed per change (ADR 0018).
        return insert_one(event)


def _jsonable(value):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
