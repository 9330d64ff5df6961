"""Intake, routing, duplicates, idempotency, rate limits, the state machine, deadlines, points."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from warmbee.audit.models import AuditEvent
from warmbee.civic import services
from warmbee.civic.models import CivicReport, ReportEvent, RoutingRule, Status
from warmbee.core import deadlines
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited

from .conftest import INSIDE_A, INSIDE_B, INSIDE_C, OUTSIDE

pytestmark = pytest.mark.django_db


def _all():
    return CivicReport.objects.unscoped(reason="test")


def test_report_goes_to_the_community_owning_the_area(personas, submit):
    intake = submit(personas["courier"])
    report = intake.report
    assert intake.created and not intake.linked
    assert report.region_id == "230602013"
    assert report.area.code == "T-A"
    assert report.status == Status.SUBMITTED
    assert report.routed_body == "萨尔图街道"
    assert ReportEvent.objects.filter(report=report, to_status="submitted").count() == 1
    assert AuditEvent.objects.filter(action="civic.report_submit").count() == 1


@pytest.mark.parametrize(
    ("lng", "code"),
    [(125.0099999, "T-A"), (125.010001, "T-B"), (125.01, "T-A"), (125.0199999, "T-B")],
    ids=["just-west", "just-east", "east-edge-of-B", "on-the-edge-lowest-code"],
)
def test_a_pin_near_a_boundary_goes_to_the_containing_area(personas, submit, lng, code):
    report = submit(personas["courier"], where=(46.605, lng)).report
    assert report.area.code == code


def test_a_pin_outside_every_area_is_refused_and_nothing_written(personas, submit):
    with pytest.raises(DomainError) as err:
        submit(personas["courier"], where=OUTSIDE)
    assert err.value.code == "out_of_area" and err.value.field == "location"
    assert not _all().exists()
    assert not AuditEvent.objects.filter(action__startswith="civic.").exists()


def test_routing_rules_most_specific_wins_and_district_fallback(
    personas, submit, grid, categories, region
):
    district = region("230602")
    RoutingRule.objects.create(
        district=district,
        category=categories["streetlight"],
        body="萨尔图区路灯所",
        contacts="0459-1234567",
        handler_region=district,
    )
    RoutingRule.objects.create(district=district, body="萨尔图区城管", handler_region=district)
    RoutingRule.objects.create(
        district=district,
        category=categories["streetlight"],
        area=grid["B"],
        body="会战街道灯管员",
    )
    light_a = submit(personas["courier"], category="streetlight").report
    assert (light_a.routed_body, light_a.region_id) == ("萨尔图区路灯所", "230602")
    light_b = submit(personas["courier"], where=INSIDE_B, category="streetlight").report
    assert (light_b.routed_body, light_b.region_id) == ("会战街道灯管员", "230602014")
    road = submit(personas["courier"], category="road").report
    assert (road.routed_body, road.region_id) == ("萨尔图区城管", "230602")
    other = submit(personas["courier"], where=INSIDE_C, category="road").report
    assert other.region_id == "230603011"


def test_idempotent_retry_returns_the_first_report(personas, submit):
    first = submit(personas["courier"], idempotency_key="k-1").report
    again = submit(personas["courier"], idempotency_key="k-1", where=INSIDE_B)
    assert not again.created and again.report.pk == first.pk
    assert _all().count() == 1


def test_a_missing_idempotency_key_is_refused(personas, submit):
    with pytest.raises(DomainError) as err:
        submit(personas["courier"], idempotency_key="")
    assert err.value.field == "idempotency_key"


def test_a_near_duplicate_is_linked_not_opened(personas, submit):
    original = submit(personas["courier"]).report
    again = submit(None, where=(INSIDE_A[0] + 0.0002, INSIDE_A[1]))
    assert again.linked
    assert again.report.status == Status.DUPLICATE
    assert again.report.duplicate_of_id == original.pk
    far = submit(None, where=(INSIDE_A[0] + 0.002, INSIDE_A[1]))
    assert not far.linked
    other_category = submit(None, category="road")
    assert not other_category.linked


def test_eleventh_anonymous_report_in_ten_minutes_is_rate_limited(submit):
    for n in range(10):
        submit(None, ip="10.9.9.9", where=(46.601 + n * 0.0009, 125.001))
    with pytest.raises(RateLimited):
        submit(None, ip="10.9.9.9", where=(46.6099, 125.009))
    assert _all().count() == 10


def _ack(actor, report, **kw):
    return services.report_transition(actor=actor, report=report, to=Status.ACKNOWLEDGED, **kw)


def test_the_whole_loop_with_notifications_and_points(personas, submit, make_worker):
    from warmbee.notify.models import InboxMessage
    from warmbee.points.models import LedgerEntry

    courier = personas["courier"]
    make_worker(user=courier)
    officer = personas["community_officer"]
    report = submit(courier).report
    assert InboxMessage.objects.filter(user=officer, kind="civic.new").count() == 1
    report = _ack(officer, report, note="已收到，马上处理")
    report = services.report_transition(actor=officer, report=report, to=Status.IN_PROGRESS)
    report = services.report_transition(actor=officer, report=report, to=Status.RESOLVED)
    report = services.report_transition(actor=courier, report=report, to=Status.CONFIRMED)
    assert report.status == Status.CONFIRMED and report.closed_at
    assert InboxMessage.objects.filter(user=courier, kind="civic.status").count() == 4
    rules = (
        set(LedgerEntry.objects.unscoped(reason="test").values_list("rule__code", flat=True))
        if hasattr(LedgerEntry.objects, "unscoped")
        else set(LedgerEntry.objects.values_list("rule__code", flat=True))
    )
    assert rules == {"civic.report_accepted", "civic.report_confirmed"}


def test_points_are_dated_at_the_step_that_earned_them(personas, submit, make_worker, settings):
    from warmbee.points.models import LedgerEntry

    courier, officer = personas["courier"], personas["community_officer"]
    make_worker(user=courier)
    t0 = timezone.now() - dt.timedelta(days=10)
    report = submit(courier, now=t0).report
    acked, confirmed = t0 + dt.timedelta(hours=2), t0 + dt.timedelta(days=2)
    report = _ack(officer, report, now=acked)
    report = services.report_transition(
        actor=officer, report=report, to=Status.RESOLVED, now=t0 + dt.timedelta(days=1)
    )
    services.report_transition(actor=courier, report=report, to=Status.CONFIRMED, now=confirmed)
    entries = LedgerEntry.objects.unscoped(reason="test").order_by("created_at")
    year = dt.timedelta(days=settings.POINTS_EXPIRY_DAYS)
    assert [(e.rule.code, e.created_at, e.expires_at) for e in entries] == [
        ("civic.report_accepted", acked, acked + year),
        ("civic.report_confirmed", confirmed, confirmed + year),
    ]


def test_co_reporters_of_a_duplicate_are_credited(personas, submit, make_worker, make_user):
    from warmbee.points.models import LedgerEntry

    courier = personas["courier"]
    second = make_user(name="第二人")
    make_worker(user=courier)
    make_worker(user=second)
    original = submit(courier).report
    submit(second, where=(INSIDE_A[0] + 0.0001, INSIDE_A[1]))
    officer = personas["community_officer"]
    original = _ack(officer, original)
    original = services.report_transition(actor=officer, report=original, to=Status.RESOLVED)
    services.report_transition(actor=courier, report=original, to=Status.CONFIRMED)
    manager = LedgerEntry.objects
    qs = manager.unscoped(reason="test") if hasattr(manager, "unscoped") else manager.all()
    assert qs.filter(rule__code="civic.report_confirmed").count() == 2


@pytest.mark.parametrize(
    ("to", "code"),
    [
        (Status.RESOLVED, "transition_not_allowed"),
        (Status.CONFIRMED, "transition_not_allowed"),
        (Status.REOPENED, "transition_not_allowed"),
        ("nonsense", "transition_not_allowed"),
    ],
)
def test_a_disallowed_transition_is_a_conflict(personas, submit, to, code):
    report = submit(personas["courier"]).report
    with pytest.raises(Conflict) as err:
        services.report_transition(actor=personas["community_officer"], report=report, to=to)
    assert err.value.code == code and err.value.status == 409
    assert _all().get().status == Status.SUBMITTED


def test_the_reporter_cannot_acknowledge_and_staff_cannot_confirm(personas, submit):
    report = submit(personas["courier"]).report
    with pytest.raises(Forbidden):
        _ack(personas["courier"], report)
    officer = personas["community_officer"]
    report = _ack(officer, report)
    report = services.report_transition(actor=officer, report=report, to=Status.RESOLVED)
    with pytest.raises(Forbidden):
        services.report_transition(actor=officer, report=report, to=Status.CONFIRMED)


def test_another_district_gets_not_found(personas, submit):
    report = submit(personas["courier"]).report
    with pytest.raises(NotFound):
        _ack(personas["other_district"], report)
    assert not AuditEvent.objects.filter(action="civic.report_acknowledged").exists()


def test_reject_needs_a_reason_and_reopen_restarts_the_clock(personas, submit):
    officer = personas["community_officer"]
    report = submit(personas["courier"]).report
    with pytest.raises(DomainError) as err:
        services.report_transition(actor=officer, report=report, to=Status.REJECTED)
    assert err.value.field == "note"
    report = _ack(officer, report)
    report = services.report_transition(actor=officer, report=report, to=Status.RESOLVED)
    report = services.report_transition(
        actor=personas["courier"], report=report, to=Status.REOPENED, note="井盖还是没有"
    )
    assert report.status == Status.REOPENED and report.resolved_at is None


def test_mark_duplicate_links_to_the_original(personas, submit):
    officer = personas["community_officer"]
    a = submit(personas["courier"]).report
    b = submit(personas["courier"], where=(INSIDE_A[0] + 0.003, INSIDE_A[1])).report
    b = services.report_transition(actor=officer, report=b, to=Status.DUPLICATE, duplicate_of=a)
    assert b.duplicate_of_id == a.pk and b.status == Status.DUPLICATE
    c = submit(
        personas["courier"], where=(INSIDE_A[0] - 0.004, INSIDE_A[1]), category="road"
    ).report
    with pytest.raises(DomainError) as err:
        services.report_transition(actor=officer, report=c, to=Status.DUPLICATE, duplicate_of=a)
    assert err.value.field == "duplicate_of"


def test_overdue_reports_are_escalated_once(personas, submit):
    from warmbee.notify.models import InboxMessage

    report = submit(personas["courier"]).report
    later = timezone.now() + dt.timedelta(hours=3)
    counts = deadlines.run_escalations(now=later)
    assert counts["civic.acknowledge"] == 1
    assert deadlines.run_escalations(now=later)["civic.acknowledge"] == 0
    assert _all().get(pk=report.pk).ack_escalated_at is not None
    district = personas["district_officer"]
    assert InboxMessage.objects.filter(user=district, kind="civic.overdue").count() == 1
    officer = personas["community_officer"]
    report = _ack(officer, report)
    much_later = timezone.now() + dt.timedelta(hours=30)
    assert deadlines.run_escalations(now=much_later)["civic.resolve"] == 1


def test_a_resolved_report_closes_itself_after_the_confirm_window(personas, submit, settings):
    officer = personas["community_officer"]
    report = submit(None).report
    report = _ack(officer, report)
    report = services.report_transition(actor=officer, report=report, to=Status.RESOLVED)
    later = timezone.now() + dt.timedelta(days=settings.CIVIC_CONFIRM_DAYS, hours=1)
    assert deadlines.run_escalations(now=later)["civic.auto_confirm"] == 1
    assert _all().get(pk=report.pk).status == Status.CONFIRMED


def test_answers_are_checked_by_datatype(personas, submit):
    with pytest.raises(DomainError) as err:
        submit(personas["courier"], answers={"size": "huge"})
    assert err.value.field == "attribute[size]"
    report = submit(personas["courier"], answers={"size": "large", "junk": "x"}).report
    assert report.answers == {"size": "large"}


def test_routing_config_sees_a_rule_change_at_once(
    grid, categories, settings, django_capture_on_commit_callbacks
):
    """The routing snapshot (ADR 0018): the writer's process sees its own change immediately,
    before its commit too, and once committed the snapshot is reused without a query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from warmbee.civic import routing
    from warmbee.civic.models import RoutingRule

    settings.GRID_REFRESH_SECONDS = 3600
    road = categories["road"]
    with django_capture_on_commit_callbacks(execute=True):
        rule = RoutingRule.objects.create(
            district_id="230602", category=road, area=None, body="市政热线", contacts="12345"
        )
    assert routing.route(road, *INSIDE_A).body == "市政热线"
    with CaptureQueriesContext(connection) as queries:
        routing.route(road, *INSIDE_A)
    assert len(queries) == 0
    rule.body = "区城管局"
    rule.save()  # not committed yet (the test's transaction): seen at once all the same
    assert routing.route(road, *INSIDE_A).body == "区城管局"
    rule.delete()
    assert routing.route(road, *INSIDE_A).body != "区城管局"


def test_near_duplicates_are_the_open_originals_in_radius_and_window_nearest_first(submit):
    from warmbee.civic.services import near_duplicates

    lat, lng = INSIDE_A
    metre = 1 / 111_000
    at = timezone.now()
    old = submit(None, where=(lat - 10 * metre, lng), now=at - dt.timedelta(hours=2)).report
    a = submit(None, where=(lat + 30 * metre, lng), now=at).report  # old is out of the window
    b = submit(None, where=(lat - 45 * metre, lng), now=at).report
    dup = submit(None, where=(lat + 20 * metre, lng), now=at).report
    assert (a.duplicate_of_id, b.duplicate_of_id, dup.duplicate_of_id) == (None, None, a.pk)

    def near(**kw):
        kw.setdefault("now", at)
        return [r.pk for r in near_duplicates(category=a.category, lat=lat, lng=lng, **kw)]

    assert near() == [a.pk, b.pk]  # nearest first; not the duplicate, not the old one
    assert [
        round(r.distance) for r in near_duplicates(category=a.category, lat=lat, lng=lng, now=at)
    ] == [30, 45]
    assert near(exclude=a) == [b.pk]
    loaded = near_duplicates(category=a.category, lat=lat, lng=lng, now=at)[0]
    fresh = CivicReport.objects.unscoped(reason="test").get(pk=a.pk)
    for name in services.NEAR_FIELDS:
        attname = CivicReport._meta.get_field(name).attname
        assert getattr(loaded, attname) == getattr(fresh, attname), name
    assert loaded.description == fresh.description  # the rest loads on first use
    assert near(now=at - dt.timedelta(hours=2)) == [old.pk, a.pk, b.pk]
    assert near_duplicates(category=a.category, lat=lat + 100 * metre, lng=lng, now=at) == []
    CivicReport.objects.unscoped(reason="test").filter(pk=a.pk).update(status=Status.REJECTED)
    assert near() == [b.pk]
