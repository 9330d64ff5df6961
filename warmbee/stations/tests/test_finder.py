"""The finder returns exactly the true nearest stations, filtered, on random data."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warmbee.stations import hours
from warmbee.stations.finder import FinderIndex, haversine_m

SH = ZoneInfo("Asia/Shanghai")
AMENITIES = {f"a{i}": i for i in range(8)}
PATTERNS = [
    (True, []),
    (False, [[d, "08:00", "20:00"] for d in range(7)]),
    (False, [[d, "09:00", "18:00"] for d in range(5)]),
    (False, [[d, "22:00", "06:00"] for d in range(7)]),  # overnight
    (False, [[d, "07:00", "11:00"] for d in range(7)] + [[d, "13:00", "19:00"] for d in range(7)]),
]


def random_rows(n: int, seed: int, centre=(46.59, 125.10), spread=0.5):
    rng = random.Random(seed)
    rows = []
    for pk in range(1, n + 1):
        always_open, weekly = rng.choice(PATTERNS)
        rows.append(
            (
                pk,
                f"c{pk}",
                f"站{pk}",
                "warmbee",
                rng.choice([1, 2, 3]),
                "地址",
                "230602",
                centre[0] + rng.uniform(-spread, spread),
                centre[1] + rng.uniform(-spread, spread),
                always_open,
                weekly,
                rng.getrandbits(8),
                10,
                "",
            )
        )
    return rows


def brute_force(rows, index, lat, lng, *, limit, radius_m=None, mask=0, at=None):
    lats = np.array([r[7] for r in rows])
    lngs = np.array([r[8] for r in rows])
    d = haversine_m(lat, lng, lats, lngs)
    order = np.argsort(d, kind="stable")
    result = []
    for i in order:
        if radius_m is not None and d[i] > radius_m:
            break
        if (rows[i][11] & mask) != mask:
            continue
        if at is not None and not index.is_open(int(i), at):
            continue
        result.append(int(i))
        if len(result) == limit:
            break
    return result


@pytest.mark.parametrize("seed", range(5))
def test_nearest_equals_brute_force(seed):
    rows = random_rows(3000, seed)
    index = FinderIndex(rows, AMENITIES)
    rng = random.Random(seed + 100)
    at = dt.datetime(2026, 11, 23, 3, 30, tzinfo=SH)  # a Monday, 03:30: few stations open
    for _ in range(30):
        lat, lng = 46.59 + rng.uniform(-0.6, 0.6), 125.10 + rng.uniform(-0.6, 0.6)
        mask = rng.choice([0, 1, 0b101, 0b1110])
        radius = rng.choice([None, 2000, 20000])
        open_at = rng.choice([None, at])
        hits = index.nearest(
            lat, lng, limit=10, radius_m=radius, amenity_mask=mask, open_at=open_at
        )
        expected = brute_force(
            rows, index, lat, lng, limit=10, radius_m=radius, mask=mask, at=open_at
        )
        assert [h.index for h in hits] == expected
        distances = haversine_m(lat, lng, index.lat[expected], index.lng[expected])
        assert [h.distance_m for h in hits] == pytest.approx(list(distances), abs=0.01)


def test_empty_index_and_more_than_exists():
    assert FinderIndex([], {}).nearest(46.0, 125.0) == []
    rows = random_rows(3, 1)
    index = FinderIndex(rows, AMENITIES)
    assert len(index.nearest(46.0, 125.0, limit=10)) == 3
    assert index.nearest(46.0, 125.0, limit=10, radius_m=1) == []


def test_live_layer_closes_a_station():
    rows = random_rows(50, 2)
    index = FinderIndex(rows, AMENITIES)
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=SH)
    first = index.nearest(46.59, 125.10, limit=1, open_at=at)[0]
    pk = int(index.ids[first.index])
    index.set_live({pk: hours.Live(status="temp_closed", reopens_at=None, exceptions={})})
    assert index.nearest(46.59, 125.10, limit=1, open_at=at)[0].index != first.index
    # Reopening time passed: open again.
    index.set_live({pk: hours.Live(status="temp_closed", reopens_at=at, exceptions={})})
    assert index.nearest(46.59, 125.10, limit=1, open_at=at)[0].index == first.index


# --- hours -------------------------------------------------------------------------------------
def sched(weekly, always_open=False):
    from warmbee.stations.finder import schedule_of

    return schedule_of(always_open, weekly)


@pytest.mark.parametrize(
    ("weekly", "when", "expected"),
    [
        pytest.param([[0, "08:00", "20:00"]], (2026, 11, 23, 8, 0), True, id="opening-minute"),
        pytest.param([[0, "08:00", "20:00"]], (2026, 11, 23, 20, 0), False, id="closing-minute"),
        pytest.param([[0, "08:00", "20:00"]], (2026, 11, 24, 12, 0), False, id="other-day"),
        pytest.param([[6, "22:00", "06:00"]], (2026, 11, 23, 5, 59), True, id="sunday-night-spill"),
        pytest.param([[6, "22:00", "06:00"]], (2026, 11, 23, 6, 0), False, id="spill-ends"),
        pytest.param([[0, "00:00", "00:00"]], (2026, 11, 23, 23, 59), True, id="full-day"),
    ],
)
def test_is_open_weekly(weekly, when, expected):
    at = dt.datetime(*when, tzinfo=SH)
    assert hours.is_open(sched(weekly), hours.Live(), at) is expected


def test_is_open_uses_local_time_for_utc_input():
    at = dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    assert hours.is_open(sched([[0, "08:00", "20:00"]]), hours.Live(), at)


def test_exception_replaces_the_day_and_status_wins():
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=SH)
    closed = hours.Live(exceptions={at.date(): hours.Exception_(closed=True)})
    assert not hours.is_open(sched([], always_open=True), closed, at)
    short = hours.Live(exceptions={at.date(): hours.Exception_(False, (600, 660))})
    assert not hours.is_open(sched([], always_open=True), short, at)
    assert hours.is_open(sched([], always_open=True), short, at.replace(hour=10, minute=30))
    paused = hours.Live(status="closed", reopens_at=at + dt.timedelta(hours=1))
    assert not hours.is_open(sched([], always_open=True), paused, at)
    assert hours.is_open(sched([], always_open=True), paused, at + dt.timedelta(hours=1))
    full = hours.Live(status="full")
    assert hours.is_open(sched([], always_open=True), full, at)


def test_summary_groups_days():
    s = sched([[d, "08:00", "20:00"] for d in range(5)] + [[5, "09:00", "12:00"]])
    assert "08:00–20:00" in s.summary() and "09:00–12:00" in s.summary()
    assert sched([], always_open=True).summary()


@settings(max_examples=200, deadline=None)
@given(
    opens=st.integers(0, 1439),
    length=st.integers(1, 1440),
    minute=st.integers(0, 7 * 1440 - 1),
)
def test_index_open_check_matches_reference(opens, length, minute):
    closes = (opens + length) % 1440
    weekly = [[d, f"{opens // 60:02d}:{opens % 60:02d}", f"{closes // 60:02d}:{closes % 60:02d}"]
              for d in (0, 2, 4)]  # fmt: skip
    rows = [(1, "c", "n", "warmbee", 1, "a", "230602", 46.5, 125.0, False, weekly, 0, 0, "")]
    index = FinderIndex(rows, {})
    at = dt.datetime(2026, 11, 23, tzinfo=SH) + dt.timedelta(minutes=minute)
    # Reference: minute-of-week arithmetic written independently of hours.py.
    week_minute = minute
    expected = False
    for d in (0, 2, 4):
        start = d * 1440 + opens
        end = start + (length if length < 1440 else 1440)
        for shift in (0, 7 * 1440):
            if start <= week_minute + shift < end:
                expected = True
    assert index.is_open(0, at) is expected
    assert bool(index.open_mask(np.array([0]), at)[0]) is expected
