"""The keyed hash chain: ``hash = HMAC-SHA256(AUDIT_KEY, prev_hash ‖ canonical(row))``."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

GENESIS = "0" * 64
CHAINED_FIELDS = (
    "at",
    "actor_id",
    "actor_label",
    "actor_roles",
    "action",
    "result",
    "target_type",
    "target_id",
    "target_label",
    "region_id",
    "changes",
    "reason",
    "ip",
    "request_id",
    "channel",
)


def canonical(values: dict) -> bytes:
    data = {}
    for name in CHAINED_FIELDS:
        value = values[name]
        if name == "at":
            value = value.isoformat(timespec="microseconds")
        data[name] = value
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def compute(prev_hash: str, values: dict) -> str:
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, prev_hash.encode() + canonical(values), hashlib.sha256).hexdigest()


@dataclass
class Break:
    event_id: int
    problem: str


def verify(rows: Iterator[dict]) -> tuple[int, Break | None]:
    """Walk rows in id order; return how many verified and the first break, if any."""
    prev = GENESIS
    count = 0
    for row in rows:
        if row["prev_hash"] != prev:
            return count, Break(
                row["id"],
                "prev_hash does not match the previous row's hash "
                "(a row was deleted, inserted or reordered)",
            )
        expected = compute(prev, row)
        if not hmac.compare_digest(expected, row["hash"]):
            return count, Break(row["id"], "hash does not match the row's contents (altered)")
        prev = row["hash"]
        count += 1
    return count, None
