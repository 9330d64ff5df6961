"""Fixtures for the points tests: a worker with an account, a tier-2 station with goods."""

from __future__ import annotations

import itertools

import pytest

_keys = itertools.count(1)


def key(prefix: str = "test") -> str:
    return f"{prefix}:{next(_keys)}"


@pytest.fixture
def worker(personas, make_worker):
    """The courier persona's worker profile in 萨尔图区."""
    return make_worker("230602", user=personas["courier"])


@pytest.fixture
def station(personas):
    from warmbee.regions.models import Region
    from warmbee.stations.models import Station, StationHost

    station = Station.objects.create(
        name="萨尔图暖蜂驿站",
        address="测试路1号",
        region=Region.objects.get(code="230602"),
        lat=46.59,
        lng=125.10,
        tier=2,
        always_open=True,
    )
    StationHost.objects.create(station=station, user=personas["host"])
    return station


@pytest.fixture
def goods(station):
    from warmbee.points.models import Goods

    return Goods.objects.create(station=station, name="矿泉水", points=5, stock=10)


@pytest.fixture
def earn():
    from warmbee.points.services import points_earn

    def give(worker, times: int = 1, rule: str = "civic.report_confirmed"):
        return [
            points_earn(worker=worker, rule=rule, idempotency_key=key("earn")) for _ in range(times)
        ]

    return give
