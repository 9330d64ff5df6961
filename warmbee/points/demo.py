"""Demo data for points (``manage.py demo``): catalogues at Daqing's tier-1/2 stations that the
host persona keeps (and a few more), earned points for Daqing's demo workers through the rules,
confirmed redemptions for workers who have an account, and one adjustment waiting for a second
officer. Idempotent: every entry has a fixed key, and a second run finds the catalogue.

The ledger has a past (seeded, so every run looks alike): the civic demo's reports credit their
reporters at the step that earned the points (accepted, confirmed), and the points made here —
activities attended and training completed, which have no records of their own yet — are spread
over the last ``WEEKS`` weeks. Each redemption comes after its worker had earned enough by then,
so the balance never goes below zero at any time, not only at the end."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from warmbee.accounts.roles import Role

from . import services
from .models import Goods, LedgerEntry
from .selectors import catalogue

CITY = "230600"
SEED = 5
GOODS = [
    ("矿泉水", 5, 60),
    ("毛巾", 20, 25),
    ("充电宝借用券", 30, 15),
    ("雨衣", 60, 8),
    ("保温杯", 120, 3),
]
WEEKS = 8
# Credited here; the civic rules are earned by the civic demo's own reports.
RULES = ["events.attended", "training.completed"]


CONFIRM_SECONDS = (20, 120)  # the worker confirms on the phone this long after the host starts


def _redeem_at(rng, entries, cost: int, now: dt.datetime) -> dt.datetime | None:
    """A time after the worker's earned points first cover ``cost`` (``entries`` are
    ``(time, points)``) that leaves room to confirm before ``now``; None if there is none."""
    total = 0
    for at, points in sorted(entries):
        total += points
        if total >= cost:
            room = (now - at).total_seconds() - 2 * CONFIRM_SECONDS[1]
            if room <= 0:
                return None
            return at + dt.timedelta(seconds=rng.uniform(0.1, 0.9) * room)
    return None


def build(ctx) -> None:
    if ctx.city_code != CITY:
        return
    from warmbee.regions.models import Region
    from warmbee.stations.demo import _persona
    from warmbee.stations.models import Station
    from warmbee.workers.models import Worker

    city = Region.objects.filter(code=CITY).first()
    district = Region.objects.filter(code="230602").first()
    if city is None or district is None:
        return
    if (
        Goods.objects.unscoped(reason="demo idempotence")
        .filter(station__region__path__startswith=city.path)
        .exists()
    ):
        return
    host = _persona(Role.STATION_HOST, "230602")
    officer = _persona(Role.CITY_OFFICER, CITY)
    district_officer = _persona(Role.DISTRICT_OFFICER, "230602")
    if host is None or officer is None:
        return
    rng = random.Random(SEED)
    now = timezone.now()
    start = now - dt.timedelta(weeks=WEEKS)
    hosted = list(
        Station.objects.unscoped(reason="demo")
        .filter(host_links__user=host, tier__lte=2, is_active=True)
        .order_by("pk")
    )
    with transaction.atomic():
        for station in hosted:
            for name, points, stock in GOODS:
                services.goods_create(
                    actor=host, station=station, name=name, points=points, stock=stock
                )
        workers = list(
            Worker.objects.unscoped(reason="demo")
            .filter(region__path__startswith=city.path, status="active")
            .select_related("region")
            .order_by("pk")[:80]
        )
        workers += list(
            Worker.objects.unscoped(reason="demo")
            .filter(region__path__startswith=district.path, user__isnull=False)
            .exclude(pk__in=[w.pk for w in workers])
            .select_related("region", "user")
        )
        # The catalogue was there before the first redemption.
        Goods.objects.unscoped(reason="demo: the catalogue's start").filter(
            station__in=hosted
        ).update(created_at=start)
        for worker in workers:
            for n in range(rng.randint(1, 8)):
                services.points_earn(
                    worker=worker,
                    rule=rng.choice(RULES),
                    idempotency_key=f"demo:{worker.pk}:{n}",
                    source="demo",
                    now=start + (now - start) * rng.random(),
                )
        # Redemptions by workers who can log in and confirm (the courier persona among them).
        stock_at = {s.pk: list(catalogue(s, offered_only=True)) for s in hosted}
        for i, worker in enumerate(
            w for w in workers if w.user_id and w.region.path.startswith(district.path)
        ):
            if not hosted:
                break
            station = hosted[i % len(hosted)]
            goods = stock_at[station.pk][0]
            account = services.account_for(worker)
            earned = (
                LedgerEntry.objects.unscoped(reason="demo: when the worker's points came")
                .filter(account=account)
                .values_list("created_at", "points")
            )
            at = _redeem_at(rng, list(earned), goods.points, now)
            if at is None:
                continue
            r = services.redemption_start(
                actor=host,
                station=station,
                code=account.redeem_code,
                goods=goods,
                quantity=1,
                idempotency_key=f"demo:redeem:{worker.pk}",
                now=at,
            )
            confirmed = at + dt.timedelta(seconds=rng.uniform(*CONFIRM_SECONDS))
            services.redemption_confirm(actor=worker.user, redemption=r, now=confirmed)
        # One adjustment above the threshold, waiting for a second officer.
        target = next((w for w in workers if w.region.path.startswith(district.path)), None)
        if target is not None and district_officer is not None:
            services.adjustment_propose(
                actor=district_officer,
                worker=target,
                points=600,
                reason="冬送温暖志愿服务补录积分",
                idempotency_key="demo:adjust:1",
            )
