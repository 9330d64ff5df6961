"""Fixed-window rate limits (ADR 0018).

Where Redis is configured (``RATELIMIT_STORE = "cache"``) a window is a cache counter. On the
embedded and one-server tiers (``"database"``) it is a ``core.RateCounter`` row counted by one
upsert: inside the caller's transaction the count commits (or rolls back) with the caller's own
writes, so a report and its rate limit cost one durable commit instead of three. A caller that
must count attempts which then fail (wrong passwords) calls ``hit`` outside a transaction.

If the store is unreachable the limiter fails closed for authentication-related buckets and
open for everything else (R45); inside a transaction a database error propagates, since the
caller's writes could not be made either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import RateLimited

log = logging.getLogger(__name__)

_UPSERT = (
    'INSERT INTO core_ratecounter ("key", "count", expires_at) VALUES (%s, 1, %s) '
    'ON CONFLICT ("key") DO UPDATE SET "count" = core_ratecounter."count" + 1 RETURNING "count"'
)


def _key(bucket: str, ident: str, window: int, now: float) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{bucket}:{digest}:{int(now // window)}"


def _count_in_database(key: str, window: int, now: float) -> int:
    ends = int(now // window + 1) * window
    expires = dt.datetime.fromtimestamp(ends + 1, tz=dt.UTC)
    if not settings.USE_TZ:
        expires = timezone.make_naive(expires)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, expires])
        return cursor.fetchone()[0]


def hit(bucket: str, ident: str, *, limit: int, window: int, fail_closed: bool = False) -> int:
    """Count one event; raise ``RateLimited`` once more than ``limit`` fall in the window."""
    now = time.time()
    key = _key(bucket, ident, window, now)
    in_database = settings.RATELIMIT_STORE == "database"
    try:
        if in_database:
            count = _count_in_database(key, window, now)
        else:
            count = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
    except Exception:  # noqa: BLE001 - the store may be down
        if in_database and connection.in_atomic_block:
            raise
        log.warning("rate limiter unavailable for bucket %s", bucket)
        if fail_closed:
            raise RateLimited(_("The service is busy. Please try again shortly.")) from None
        return 0
    if count > limit:
        raise RateLimited(_("Too many requests. Please try again later."))
    return count


def peek(bucket: str, ident: str, *, window: int) -> int:
    key = _key(bucket, ident, window, time.time())
    try:
        if settings.RATELIMIT_STORE == "database":
            from .models import RateCounter

            return RateCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0
        return int(cache.get(key) or 0)
    except Exception:  # noqa: BLE001
        return 0
