"""Rate limits on both stores (ADR 0018): counting, the window, the caller's transaction, R45."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction

from warmbee.core import ratelimit
from warmbee.core.errors import RateLimited
from warmbee.core.models import RateCounter

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "cache"])
def store(request, settings):
    settings.RATELIMIT_STORE = request.param
    return request.param


def test_counts_and_refuses_over_the_limit(store):
    assert [ratelimit.hit("t", "ip1", limit=3, window=60) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(RateLimited):
        ratelimit.hit("t", "ip1", limit=3, window=60)
    assert ratelimit.peek("t", "ip1", window=60) == 4
    # Another identity and another bucket have their own windows.
    assert ratelimit.hit("t", "ip2", limit=3, window=60) == 1
    assert ratelimit.hit("u", "ip1", limit=3, window=60) == 1


def test_a_new_window_starts_again(store, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0)
    ratelimit.hit("t", "x", limit=1, window=60)
    with pytest.raises(RateLimited):
        ratelimit.hit("t", "x", limit=1, window=60)
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0 + 60)
    assert ratelimit.hit("t", "x", limit=1, window=60) == 1


def test_database_count_rolls_back_with_the_callers_transaction(settings):
    settings.RATELIMIT_STORE = "database"
    ratelimit.hit("t", "x", limit=5, window=60)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ratelimit.hit("t", "x", limit=5, window=60)
        1 / 0  # noqa: B018 - the caller's own failure
    assert ratelimit.peek("t", "x", window=60) == 1


def test_database_identity_is_hashed_and_rows_expire(settings, monkeypatch):
    settings.RATELIMIT_STORE = "database"
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_000_000.0)
    ratelimit.hit("login", "13800000000", limit=5, window=60)
    row = RateCounter.objects.get()
    assert "13800000000" not in row.key
    assert row.expires_at.timestamp() == (1_000_000 // 60 + 1) * 60 + 1
    call_command("purge_rate_counters", verbosity=0)
    assert not RateCounter.objects.exists()


def test_store_down_fails_open_or_closed(settings, monkeypatch):
    settings.RATELIMIT_STORE = "cache"

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("redis down")

            return fail

    monkeypatch.setattr(ratelimit, "cache", Down())
    assert ratelimit.hit("t", "x", limit=1, window=60) == 0
    with pytest.raises(RateLimited):
        ratelimit.hit("t", "x", limit=1, window=60, fail_closed=True)
    assert ratelimit.peek("t", "x", window=60) == 0
