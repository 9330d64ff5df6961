"""Fixed-window rate limits on the shared cache (database cache on the embedded tier, Redis at
scale). If the cache is unreachable the limiter fails closed for authentication-related buckets
and open for everything else (R45)."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .errors import RateLimited

log = logging.getLogger(__name__)


def _key(bucket: str, ident: str, window: int, now: float) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"rl:{bucket}:{digest}:{int(now // window)}"


def hit(bucket: str, ident: str, *, limit: int, window: int, fail_closed: bool = False) -> int:
    """Count one event; raise ``RateLimited`` once more than ``limit`` fall in the window."""
    now = time.time()
    key = _key(bucket, ident, window, now)
    try:
        count = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
    except Exception:  # noqa: BLE001 - the cache backend may be down
        log.warning("rate limiter unavailable for bucket %s", bucket)
        if fail_closed:
            raise RateLimited(_("The service is busy. Please try again shortly.")) from None
        return 0
    if count > limit:
        raise RateLimited(_("Too many requests. Please try again later."))
    return count


def peek(bucket: str, ident: str, *, window: int) -> int:
    try:
        return int(cache.get(_key(bucket, ident, window, time.time())) or 0)
    except Exception:  # noqa: BLE001
        return 0
