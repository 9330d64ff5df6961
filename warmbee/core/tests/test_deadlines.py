"""core/deadlines.py: due dates, registration, and escalation runs (idempotent, isolated)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from warmbee.core import deadlines
from warmbee.notify.models import InboxMessage
from warmbee.notify.services import notify_user

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def source():
    """A deadline source over inbox messages: one unread for over an hour is overdue; escalating
    marks it (``read_at``) and tells the supervisor, in the same transaction."""
    names = []

    def register(name="test.unread", *, fail_on=(), supervisor=None):
        def overdue(now):
            return InboxMessage.objects.filter(
                kind="test.task", read_at__isnull=True, created_at__lt=now - dt.timedelta(hours=1)
            ).order_by("pk")

        def escalate(message, now):
            locked = InboxMessage.objects.select_for_update().get(pk=message.pk)
            if locked.read_at is not None:
                return False  # another run got there first
            locked.read_at = now
            locked.save(update_fields=["read_at"])
            notify_user(user=supervisor, kind="test.escalated", subject=f"逾期：{locked.subject}")
            if locked.subject in fail_on:
                raise RuntimeError("boom")

        deadlines.register(name, overdue=overdue, escalate=escalate)
        names.append(name)

    yield register
    for name in names:
        deadlines.unregister(name)


def _task(user, subject, created):
    message = notify_user(user=user, kind="test.task", subject=subject)
    InboxMessage.objects.filter(pk=message.pk).update(created_at=created)
    return message


def test_due_after_counts_calendar_hours():
    friday_evening = dt.datetime(2026, 12, 4, 18, 0, tzinfo=SHANGHAI)
    due = deadlines.due_after(friday_evening, hours=48)
    assert due == dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)  # Sunday 18:00 in Shanghai
    assert due.tzinfo == dt.UTC
    assert deadlines.due_after(NOW, hours=0.5) == NOW + dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    ("start", "hours"),
    [(dt.datetime(2026, 12, 4, 18, 0), 1), (NOW, -1)],
    ids=["naive", "negative"],
)
def test_due_after_refuses_bad_input(start, hours):
    with pytest.raises(ValueError):
        deadlines.due_after(start, hours=hours)


def test_register_replaces_a_source_of_the_same_name(source, personas):
    source("test.same", supervisor=personas["district_officer"])
    source("test.same", supervisor=personas["city_officer"])
    assert list(deadlines.sources()).count("test.same") == 1


def test_run_escalations_escalates_each_overdue_object_once(source, personas):
    supervisor = personas["district_officer"]
    source(supervisor=supervisor)
    courier = personas["courier"]
    late = _task(courier, "甲", NOW - dt.timedelta(hours=3))
    _task(courier, "乙", NOW - dt.timedelta(minutes=10))  # not yet due
    assert deadlines.run_escalations(now=NOW)["test.unread"] == 1
    assert InboxMessage.objects.get(pk=late.pk).read_at == NOW
    assert InboxMessage.objects.filter(user=supervisor, kind="test.escalated").count() == 1
    # Idempotent: a second run (the next tick, or a second scheduler) does nothing more.
    assert deadlines.run_escalations(now=NOW)["test.unread"] == 0
    assert InboxMessage.objects.filter(user=supervisor, kind="test.escalated").count() == 1


def test_escalate_that_finds_the_object_already_marked_is_not_counted(source, personas):
    supervisor = personas["district_officer"]
    source(supervisor=supervisor)
    late = _task(personas["courier"], "甲", NOW - dt.timedelta(hours=3))
    stale = list(deadlines.sources()["test.unread"].overdue(NOW))
    InboxMessage.objects.filter(pk=late.pk).update(read_at=NOW)  # someone handled it meanwhile
    assert deadlines.sources()["test.unread"].escalate(stale[0], NOW) is False


def test_one_failing_object_does_not_stop_the_others(source, personas, caplog):
    supervisor = personas["district_officer"]
    source(fail_on={"乙"}, supervisor=supervisor)
    courier = personas["courier"]
    a = _task(courier, "甲", NOW - dt.timedelta(hours=3))
    b = _task(courier, "乙", NOW - dt.timedelta(hours=3))
    c = _task(courier, "丙", NOW - dt.timedelta(hours=3))
    assert deadlines.run_escalations(now=NOW) == {"test.unread": 2}
    assert InboxMessage.objects.get(pk=a.pk).read_at == NOW
    assert InboxMessage.objects.get(pk=c.pk).read_at == NOW
    # The failing object's transaction rolled back whole: not marked, nobody told.
    assert InboxMessage.objects.get(pk=b.pk).read_at is None
    subjects = set(
        InboxMessage.objects.filter(user=supervisor, kind="test.escalated").values_list(
            "subject", flat=True
        )
    )
    assert subjects == {"逾期：甲", "逾期：丙"}
    assert "escalating" in caplog.text


def test_a_broken_source_does_not_stop_the_others(source, personas):
    def broken(now):
        raise RuntimeError("query failed")

    deadlines.register("test.broken", overdue=broken, escalate=lambda obj, now: None)
    try:
        source(supervisor=personas["district_officer"])
        _task(personas["courier"], "甲", NOW - dt.timedelta(hours=3))
        assert deadlines.run_escalations(now=NOW) == {"test.broken": 0, "test.unread": 1}
    finally:
        deadlines.unregister("test.broken")


def test_the_command_and_the_task_run_the_sources(source, personas, capsys):
    from warmbee.core.tasks import escalate_overdue

    source(supervisor=personas["district_officer"])
    _task(personas["courier"], "甲", dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    call_command("escalate_overdue")
    assert "test.unread: 1" in capsys.readouterr().out
    _task(personas["courier"], "乙", dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    result = escalate_overdue.enqueue()
    assert result.return_value["test.unread"] == 1
