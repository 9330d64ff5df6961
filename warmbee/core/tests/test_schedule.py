"""core/schedule.py: the job table, due times, the lock, and a tick that survives failures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command, get_commands

from warmbee.core import schedule
from warmbee.core.models import ScheduledJob

# 2026-12-03 10:00 in Shanghai.
NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _job(name, calls, *, every=5 * MIN, at=None, fail=False):
    def run():
        calls.append(name)
        if fail:
            raise RuntimeError(f"{name} failed")
        return "ok"

    return schedule.Job(name, run, every=None if at else every, at=at, lock_minutes=10)


def test_the_table_names_each_periodic_job_once_and_each_is_a_command():
    names = [job.name for job in schedule.JOBS]
    assert len(names) == len(set(names))
    assert {"escalate_overdue", "resume_imports", "purge_exports", "refresh_coverage"} <= set(names)
    commands = get_commands()
    for job in schedule.JOBS:
        assert job.run.__name__ in commands, job.name
        assert (job.every is None) != (job.at is None), job.name
    every = {job.name: job.every for job in schedule.JOBS if job.every}
    assert every["escalate_overdue"] == every["resume_imports"] == 5 * MIN
    assert every["purge_exports"] == 60 * MIN


def test_interval_jobs_are_due_after_their_interval():
    job = _job("j", [])
    assert job.is_due(None, NOW)
    assert not job.is_due(NOW - 4 * MIN, NOW)
    assert job.is_due(NOW - 5 * MIN, NOW)


def test_daily_jobs_run_once_after_their_local_time():
    job = _job("nightly", [], at=dt.time(2, 10))  # 02:10 Shanghai = 18:10 UTC the day before
    before = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)  # 02:00 on the 4th in Shanghai
    after = dt.datetime(2026, 12, 3, 18, 15, tzinfo=dt.UTC)
    ran_yesterday = dt.datetime(2026, 12, 2, 18, 10, tzinfo=dt.UTC)
    assert not job.is_due(ran_yesterday, before)
    assert job.is_due(ran_yesterday, after)
    assert not job.is_due(after, after + 60 * MIN)


def test_tick_runs_due_jobs_and_records_them(db):
    calls = []
    jobs = (_job("a", calls), _job("b", calls, every=60 * MIN))
    assert schedule.tick(now=NOW, jobs=jobs) == ["a", "b"]
    assert schedule.tick(now=NOW + 2 * MIN, jobs=jobs) == []
    assert schedule.tick(now=NOW + 5 * MIN, jobs=jobs) == ["a"]
    assert calls == ["a", "b", "a"]
    row = ScheduledJob.objects.get(name="a")
    assert (row.runs, row.last_ok, row.locked_until, row.last_started_at) == (
        2,
        True,
        None,
        NOW + 5 * MIN,
    )


def test_a_failing_job_is_recorded_and_the_tick_carries_on(db, caplog):
    calls = []
    jobs = (_job("bad", calls, fail=True), _job("good", calls))
    assert schedule.tick(now=NOW, jobs=jobs) == ["bad", "good"]
    bad = ScheduledJob.objects.get(name="bad")
    assert (bad.last_ok, bad.last_error, bad.locked_until) == (
        False,
        "RuntimeError: bad failed",
        None,
    )
    assert ScheduledJob.objects.get(name="good").last_ok is True
    assert "scheduled job bad failed" in caplog.text
    # Failed jobs wait for their next slot like the others, then run again.
    assert schedule.tick(now=NOW + 5 * MIN, jobs=jobs) == ["bad", "good"]


def test_a_job_held_by_another_scheduler_is_not_run(db):
    calls = []
    job = _job("a", calls)
    # Another scheduler took it a minute ago and is still running it.
    assert schedule.take(job, NOW - MIN, owner="other:1")
    assert schedule.tick(now=NOW + 5 * MIN, jobs=(job,)) == []
    assert calls == []
    # Its lock expires (it died): the job runs again.
    assert schedule.tick(now=NOW + 10 * MIN, jobs=(job,)) == ["a"]
    assert calls == ["a"]


def test_two_schedulers_that_read_the_same_state_take_a_job_once(db, monkeypatch):
    job = _job("a", [])
    assert schedule.take(job, NOW, owner="first")  # the row as both read it: never started
    # The second read the row before the first's UPDATE: its compare-and-set finds it changed.
    row = ScheduledJob.objects.get(name="a")
    ScheduledJob.objects.filter(name="a").update(locked_until=None)  # even with the lock gone
    stale = ScheduledJob(name="a", last_started_at=None, locked_until=None)
    monkeypatch.setattr(
        ScheduledJob.objects, "get_or_create", lambda **kw: (stale, False), raising=False
    )
    assert not schedule.take(job, NOW, owner="second")
    assert ScheduledJob.objects.get(name="a").last_started_at == row.last_started_at


def test_run_job_force_runs_a_job_that_is_not_due(db):
    calls = []
    job = _job("a", calls)
    assert schedule.run_job(job, NOW)
    assert not schedule.run_job(job, NOW + MIN)
    assert schedule.run_job(job, NOW + MIN, force=True)
    assert calls == ["a", "a"]


def test_the_command_lists_and_runs_one_job(db, capsys, monkeypatch):
    call_command("run_schedule", "--list")
    assert "escalate_overdue" in capsys.readouterr().out
    call_command("run_schedule", "--job", "escalate_overdue")
    assert "escalate_overdue: ran" in capsys.readouterr().out
    assert ScheduledJob.objects.get(name="escalate_overdue").last_ok is True


def test_the_loop_stops_on_sigterm(db, monkeypatch):
    import os
    import signal

    ticks = []

    def fake_tick(should_stop=lambda: False, **kwargs):
        ticks.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        return []

    monkeypatch.setattr(schedule, "tick", fake_tick)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        call_command("run_schedule", "--interval", "0")
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert ticks == [1]


@pytest.mark.parametrize("name", ["nope"])
def test_an_unknown_job_is_refused(db, name):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("run_schedule", "--job", name)
