"""The points demo: a ledger with a past — entries over weeks, redemptions only once the worker
had earned enough by then, so no balance was ever negative — built once."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from warmbee.core.demo import DemoContext
from warmbee.points import demo
from warmbee.points.models import LedgerEntry, PointsAccount, Redemption


def _rows(model):
    return model.objects.unscoped(reason="test")


def test_demo_entries_span_weeks_and_no_balance_is_ever_negative(db, make_user, make_worker):
    from warmbee.accounts import demo as accounts_demo
    from warmbee.regions.models import Region
    from warmbee.stations.demo import _persona
    from warmbee.stations.models import Station, StationHost

    ctx = DemoContext(city_code="230600")
    accounts_demo.build(ctx)
    station = Station.objects.create(
        name="萨尔图暖蜂驿站",
        address="测试路1号",
        region=Region.objects.get(code="230602"),
        lat=46.59,
        lng=125.10,
        tier=2,
        always_open=True,
    )
    StationHost.objects.create(station=station, user=_persona("station_host", "230602"))
    for n in range(12):
        make_worker("230602", user=make_user(name=f"骑手{n}"))
    for _ in range(6):
        make_worker("230603")
    before = timezone.now()
    demo.build(ctx)

    entries = list(_rows(LedgerEntry).order_by("created_at", "pk"))
    times = [e.created_at for e in entries]
    assert max(times) - min(times) > dt.timedelta(days=1)
    assert min(times) >= before - dt.timedelta(weeks=demo.WEEKS) and max(times) <= timezone.now()
    assert {e.rule.code for e in entries if e.rule_id} <= set(demo.RULES)
    for account_id, rows in itertools.groupby(
        sorted(entries, key=lambda e: (e.account_id, e.created_at, e.pk)),
        key=lambda e: e.account_id,
    ):
        running = list(itertools.accumulate(e.points for e in rows))
        assert min(running) >= 0, account_id
        assert running[-1] == _rows(PointsAccount).get(pk=account_id).balance
    redemptions = list(_rows(Redemption).filter(status="confirmed").select_related("entry"))
    assert redemptions
    for r in redemptions:
        assert r.created_at < r.decided_at == r.entry.created_at < r.expires_at
        first_earned = min(e.created_at for e in entries if e.account_id == r.account_id)
        assert first_earned < r.created_at

    demo.build(ctx)  # a second start writes nothing
    assert _rows(LedgerEntry).count() == len(entries)
