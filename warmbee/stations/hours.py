"""Opening hours: the one definition of "open now", in local wall-clock time (Asia/Shanghai).

A day's hours are intervals in minutes from that day's midnight; an interval that closes at or
before it opens runs past midnight (``end`` > 1440). At a moment *t* on date *D* a station is
open when *t* falls in one of D's intervals, or in the part of one of D−1's intervals that runs
past midnight. A date exception replaces that date's weekly intervals (closed, or one interval).
A live status of closed or temporarily closed wins until its reopening time passes.
The finder's vectorised check (``finder.py``) is tested against this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

DAY = 1440
Interval = tuple[int, int]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def interval(opens: dt.time, closes: dt.time) -> Interval:
    start = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    if end <= start:
        end += DAY  # past midnight; "00:00–00:00" is a full day
    return (start, end)


@dataclass(frozen=True)
class Schedule:
    """A station's regular week: seven tuples of intervals, Monday first."""

    always_open: bool = False
    week: tuple[tuple[Interval, ...], ...] = ((),) * 7

    @classmethod
    def from_rows(cls, always_open: bool, rows: Iterable[tuple[int, dt.time, dt.time]]):
        days: list[list[Interval]] = [[] for _ in range(7)]
        for weekday, opens, closes in rows:
            days[weekday].append(interval(opens, closes))
        return cls(always_open, tuple(tuple(sorted(d)) for d in days))

    def summary(self) -> str:
        """A short human text, e.g. "周一至周五 08:00–20:00；周六、周日 09:00–18:00"."""
        if self.always_open:
            return _("Open 24 hours")
        names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        groups: list[tuple[list[int], tuple[Interval, ...]]] = []
        for day, intervals in enumerate(self.week):
            if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], intervals))
        parts = []
        for days, intervals in groups:
            if not intervals:
                continue
            label = names[days[0]] if len(days) == 1 else f"{names[days[0]]}–{names[days[-1]]}"
            parts.append(f"{label} {', '.join(format_interval(i) for i in intervals)}")
        return "; ".join(parts) if parts else _("No regular hours")


def format_interval(iv: Interval) -> str:
    start, end = iv
    return f"{start // 60:02d}:{start % 60:02d}–{(end // 60) % 24:02d}:{end % 60:02d}"


@dataclass(frozen=True)
class Exception_:
    closed: bool
    interval: Interval | None = None


@dataclass
class Live:
    """What can change during the day: the live status and date exceptions."""

    status: str = "open"
    reopens_at: dt.datetime | None = None
    exceptions: Mapping[dt.date, Exception_] = field(default_factory=dict)


def closed_by_status(live: Live, at: dt.datetime) -> bool:
    if live.status not in ("closed", "temp_closed"):
        return False
    return live.reopens_at is None or at < live.reopens_at


def day_intervals(schedule: Schedule, live: Live, day: dt.date) -> tuple[Interval, ...]:
    exc = live.exceptions.get(day)
    if exc is not None:
        return () if exc.closed or exc.interval is None else (exc.interval,)
    if schedule.always_open:
        return ((0, DAY),)
    return schedule.week[day.weekday()]


def is_open(schedule: Schedule, live: Live, at: dt.datetime) -> bool:
    """Is the station open at the aware datetime ``at``?"""
    if closed_by_status(live, at):
        return False
    local = at.astimezone(local_zone())
    minute = local.hour * 60 + local.minute
    today = local.date()
    if any(s <= minute < e for s, e in day_intervals(schedule, live, today)):
        return True
    yesterday = today - dt.timedelta(days=1)
    return any(s <= minute + DAY < e for s, e in day_intervals(schedule, live, yesterday))
