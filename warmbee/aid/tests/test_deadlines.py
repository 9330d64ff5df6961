"""Aid review deadlines: each review step is due AID_REVIEW_DAYS after it is reached; a late step
is escalated once to the officers who may take it (core.deadlines)."""

from __future__ import annotations

import datetime as dt

import pytest

from warmbee.aid import services
from warmbee.aid.choices import AppStatus
from warmbee.aid.models import AidApplication
from warmbee.audit.models import AuditEvent
from warmbee.core import deadlines
from warmbee.notify.models import InboxMessage

pytestmark = pytest.mark.django_db


def _app(pk):
    return AidApplication.objects.unscoped(reason="test").select_related("programme").get(pk=pk)


def _told(personas):
    return {
        name
        for name, user in personas.items()
        if InboxMessage.objects.filter(user=user, kind="aid.review_overdue").exists()
    }


def test_each_step_has_its_clock_and_a_late_one_is_escalated_once(
    submit, programme, personas, settings
):
    settings.AID_REVIEW_DAYS = 7
    app = _app(submit(programme).pk)
    assert app.review_due_at == app.created_at + dt.timedelta(days=7)
    late = app.review_due_at + dt.timedelta(minutes=1)
    assert services.overdue_reviews(app.review_due_at - dt.timedelta(minutes=1)) == []
    assert [a.pk for a in services.overdue_reviews(late)] == [app.pk]

    assert deadlines.run_escalations(now=late)["aid.review"] == 1
    assert deadlines.run_escalations(now=late)["aid.review"] == 0  # once per step
    # The district step: the district officer and the levels above, not the next district.
    told = _told(personas)
    assert {"district_officer", "city_officer"} <= told
    assert not told & {"other_district", "courier", "community_officer", "auditor"}
    event = AuditEvent.objects.get(action="aid.review_overdue")
    assert event.actor_id is None and event.target_id == str(app.pk)
    message = InboxMessage.objects.filter(kind="aid.review_overdue").first()
    assert message.link == f"/console/aid/applications/{app.pk}/"

    services.application_review(actor=personas["district_officer"], application=app)
    app = _app(app.pk)
    assert app.review_escalated_at is None and app.review_due_at > late - dt.timedelta(days=7)
    InboxMessage.objects.filter(kind="aid.review_overdue").delete()
    assert (
        deadlines.run_escalations(now=app.review_due_at + dt.timedelta(minutes=1))["aid.review"]
        == 1
    )
    assert "district_officer" not in _told(personas)  # the city step is the city's
    assert "city_officer" in _told(personas)

    services.application_approve(actor=personas["city_officer"], application=app)
    app = _app(app.pk)
    assert app.status == AppStatus.APPROVED and app.review_due_at is None
    assert services.overdue_reviews(late + dt.timedelta(days=365)) == []


def test_a_returned_application_waits_for_the_worker_not_the_officers(submit, programme, personas):
    app = submit(programme)
    services.application_return(
        actor=personas["district_officer"], application=app, note="请补充证书照片"
    )
    app = _app(app.pk)
    assert app.review_due_at is None
    assert services.overdue_reviews(app.updated_at + dt.timedelta(days=365)) == []


def test_the_pages_show_the_step_deadline_and_a_late_step(as_persona, submit, programme):
    from django.urls import reverse
    from django.utils import timezone

    app = submit(programme)
    officer = as_persona("district_officer")
    page = officer.get(reverse("aid:console_application", args=[app.pk])).content.decode()
    assert "前办结" in page and "已超时" not in page
    AidApplication.objects.unscoped(reason="test").filter(pk=app.pk).update(
        review_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    page = officer.get(reverse("aid:console_application", args=[app.pk])).content.decode()
    assert "已超时" in page
    listing = officer.get(reverse("aid:console_programme", args=[programme.pk])).content.decode()
    assert "已超时" in listing
