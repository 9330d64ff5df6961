"""The Daqing demo network (``stations/demo.py``), built after the accounts personas as
``manage.py demo`` does: its size and shape, its invariants, and that a second run adds nothing.

One build serves every check (a build takes seconds); the checks are separate functions."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.utils import timezone

from warmbee.accounts.demo import PERSONAS
from warmbee.accounts.models import User
from warmbee.accounts.roles import Perm, Role
from warmbee.accounts.scoping import has_perm
from warmbee.audit.models import AuditEvent
from warmbee.core.demo import BUILDERS, DemoContext
from warmbee.stations import demo, hours
from warmbee.stations.models import (
    Amenity,
    CheckIn,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    HoursException,
    LiveStatus,
    Station,
    StationAmenity,
    StationHost,
)

pytestmark = pytest.mark.django_db
DAQING = "/230000/230600/"


def _build() -> DemoContext:
    from warmbee.accounts import demo as accounts_demo

    ctx = DemoContext(city_code="230600")
    accounts_demo.build(ctx)
    demo.build(ctx)
    return ctx


def _counts() -> dict[str, int]:
    return {
        "stations": Station.objects.unscoped(reason="t").count(),
        "amenities": StationAmenity.objects.count(),
        "hosts": StationHost.objects.count(),
        "exceptions": HoursException.objects.count(),
        "checkins": CheckIn.objects.unscoped(reason="t").count(),
        "feedback": Feedback.objects.unscoped(reason="t").count(),
        "users": User.objects.unscoped(reason="t").count(),
        "audit": AuditEvent.objects.count(),
    }


def test_the_builder_is_registered_after_the_accounts():
    assert BUILDERS.index("warmbee.stations.demo.build") > BUILDERS.index(
        "warmbee.accounts.demo.build"
    )


def _check_shape(network):
    assert Station.objects.public().count() == 624
    assert all(s.region.path.startswith(DAQING) for s in network)
    per_district = Counter(s.region.path.split("/")[3] for s in network)
    assert per_district == {code: spec.stations for code, spec in demo.DISTRICTS.items()}
    # The five urban districts hold most of the network.
    urban = sum(n for code, n in per_district.items() if demo.DISTRICTS[code].urban)
    assert urban / 624 > 0.7
    # Townships are loaded for 2306 (conftest): stations sit in a street or town.
    assert {s.region.level for s in network} == {"township"}
    assert all(s.name.startswith("庆小驿·") and s.address and s.host_org_name for s in network)
    assert len({s.name for s in network}) == 624
    # Near Daqing (its bounding box, generously).
    assert all(45.2 < s.lat < 47.6 and 123.6 < s.lng < 125.9 for s in network)


def _check_tiers_hours_amenities(network):
    tiers = Counter(s.tier for s in network)
    for tier, share in ((1, 0.10), (2, 0.35), (3, 0.55)):
        assert abs(tiers[tier] / 624 - share) <= 0.05
    always = sum(s.always_open for s in network) / 624
    assert 0.07 <= always <= 0.17
    assert all(s.always_open or s.weekly_hours for s in network)
    assert all(4 <= s.seats <= 30 for s in network)
    assert all(not s.phone or s.phone.startswith("0459-") for s in network)

    bits = {a.code: a.bit for a in Amenity.objects.all()}
    linked = defaultdict(int)
    for station_id, code in StationAmenity.objects.values_list("station_id", "amenity_id"):
        linked[station_id] |= 1 << bits[code]
    assert all(s.amenity_bits == linked[s.pk] for s in network)
    films = {s.pk for s in network if s.amenity_bits & (1 << bits["films"])}
    assert films and all(s.tier == 1 for s in network if s.pk in films)


def _check_hosts_statuses_holidays(network):
    host = User.objects.unscoped(reason="t").get(name="刘洋")
    hosted = Station.objects.unscoped(reason="t").filter(hosts=host)
    assert hosted.count() == 3
    assert all(s.region.path.startswith(f"{DAQING}230602/") for s in hosted)
    for link in StationHost.objects.select_related("station__region", "user"):
        assert has_perm(link.user, Perm.HOST_STATION, link.station.region)
    assert StationHost.objects.values("user").distinct().count() == 1 + demo.EXTRA_HOSTS

    closed = [s for s in network if s.status == LiveStatus.TEMP_CLOSED]
    assert closed and all(s.status_reason and s.reopens_at > timezone.now() for s in closed)
    assert any(s.status == LiveStatus.FULL for s in network)
    holidays = HoursException.objects.all()
    assert {(e.date.month, e.date.day, e.closed) for e in holidays} == {(1, 1, True)}
    assert 0.03 <= holidays.count() / 624 <= 0.07

    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["station.create"] == 624
    assert actions["station.host_add"] == StationHost.objects.count()
    assert actions["station.exception_set"] == holidays.count()
    assert actions["station.demo_load"] == 1


def _check_checkins(network):
    rows = list(
        CheckIn.objects.unscoped(reason="t")
        .order_by("created_at")
        .values_list("user_id", "station_id", "created_at")
    )
    assert 15_000 <= len(rows) <= 30_000
    workers = {u for u, _s, _t in rows}
    assert all(
        u.holds(Perm.CHECK_IN) for u in User.objects.unscoped(reason="t").filter(pk__in=workers)
    )
    now = timezone.now()
    assert all(now - dt.timedelta(days=demo.CHECKIN_DAYS) <= t < now for _u, _s, t in rows)

    interval = dt.timedelta(minutes=settings.STATION_CHECKIN_INTERVAL_MINUTES)
    last: dict[tuple[int, int], dt.datetime] = {}
    for user, station, at in rows:
        assert (user, station) not in last or at - last[(user, station)] >= interval
        last[(user, station)] = at

    schedules = {s.pk: demo._schedule(s) for s in network}
    assert all(hours.is_open(schedules[s], hours.Live(), t) for _u, s, t in rows)
    # Lunch and the evening are the busy hours.
    by_hour = Counter(t.astimezone(hours.local_zone()).hour for _u, _s, t in rows)
    assert by_hour[12] > 3 * by_hour[9] and by_hour[18] > 3 * by_hour[15]
    # Tier 1 stations are visited more than tier 3 ones.
    tier = {s.pk: s.tier for s in network}
    per_station = Counter(s for _u, s, _t in rows)
    mean = {
        t: sum(per_station[pk] for pk in tier if tier[pk] == t)
        / sum(1 for pk in tier if tier[pk] == t)
        for t in (1, 3)
    }
    assert mean[1] > 2 * mean[3]


def _check_feedback(network):
    feedback = list(Feedback.objects.unscoped(reason="t").select_related("station__region"))
    ratings = [f for f in feedback if f.kind == FeedbackKind.RATING]
    problems = [f for f in feedback if f.kind == FeedbackKind.PROBLEM]
    assert len(ratings) == demo.RATINGS and len(problems) == demo.PROBLEMS
    assert sum(f.rating >= 4 for f in ratings) / len(ratings) > 0.8
    assert all(f.text for f in problems)
    statuses = Counter(f.status for f in problems)
    assert statuses[FeedbackStatus.RESOLVED] and statuses[FeedbackStatus.ACKNOWLEDGED]
    assert statuses[FeedbackStatus.OPEN]
    now = timezone.now()
    for f in problems:
        if f.status == FeedbackStatus.OPEN:
            assert f.handled_by is None
            continue
        assert f.created_at < f.handled_at < now and f.response
        keeper = f.handled_by
        assert has_perm(keeper, Perm.MANAGE_STATION, f.station.region) or (
            StationHost.objects.filter(station=f.station, user=keeper).exists()
        )
    # Every writer checked in at that station before writing.
    for f in feedback:
        assert (
            CheckIn.objects.unscoped(reason="t")
            .filter(user=f.user, station=f.station, created_at__lt=f.created_at)
            .exists()
        )
    # The host persona has problem reports waiting.
    host = User.objects.unscoped(reason="t").get(name="刘洋")
    assert any(
        f.status == FeedbackStatus.OPEN and f.station.hosts.filter(pk=host.pk).exists()
        for f in problems
    )


def test_the_demo_network_once_and_only_once():
    ctx = _build()
    assert len(ctx.credentials) == len(
        PERSONAS
    )  # the personas only: new hosts and workers activate
    network = list(Station.objects.unscoped(reason="t").select_related("region"))
    _check_shape(network)
    _check_tiers_hours_amenities(network)
    _check_hosts_statuses_holidays(network)
    _check_checkins(network)
    _check_feedback(network)

    before = _counts()
    again = _build()
    assert again.credentials == []
    assert _counts() == before


def test_another_city_gets_no_daqing_network():
    from warmbee.accounts import demo as accounts_demo

    accounts_demo.build(DemoContext(city_code="230600"))
    demo.build(DemoContext(city_code="430100"))
    assert not Station.objects.unscoped(reason="t").exists()
    assert not CheckIn.objects.unscoped(reason="t").exists()
    assert User.objects.unscoped(reason="t").filter(grants__role=Role.WORKER).count() == 1
