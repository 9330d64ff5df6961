"""The station host pages' rows of the authorisation matrix.

A keeper (the host of the "own" station, or an officer who manages the station's region) gets
the page or the action's redirect; everyone else signed in gets 404, anonymous goes to login.
POSTs carry valid data, so a keeper's request changes the state and writes an audit row, and a
denied one must leave ``station_state`` as it was. The photo upload is covered through its page
(GET) here, so the matrix never writes files under the real ``MEDIA_ROOT``; ``test_host.py``
covers the upload itself, denials included.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.urls import reverse

from .matrix import code_url, keeper_action, keeper_page, station_setup, station_state

EXCEPTION_IN_DAYS = 3


def _login_page(persona, position):
    """Any signed-in account may open its list of stations (possibly empty)."""
    return 302 if persona == "anonymous" else 200


def _in_days(days: int) -> str:
    from django.utils import timezone

    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _with_exception(ctx) -> None:
    from warmbee.stations.models import HoursException

    station_setup(ctx)
    ctx["exception"] = HoursException.objects.create(
        station=ctx["station"], date=_in_days(EXCEPTION_IN_DAYS), closed=True, note="春节"
    )


def _with_photo(ctx) -> None:
    from warmbee.stations.models import StationPhoto

    station_setup(ctx)
    # A row without a file: deleting it removes the row; the missing file is fine.
    ctx["photo"] = StationPhoto.objects.create(
        station=ctx["station"],
        image=f"stations/{secrets.token_hex(16)}.jpg",
        width=4,
        height=3,
    )


def _with_problem(ctx) -> None:
    from django.utils import timezone

    from warmbee.stations.models import Feedback

    station_setup(ctx)
    ctx["feedback"] = Feedback.objects.create(
        station=ctx["station"],
        user=ctx["personas"]["courier"],
        kind="problem",
        text="饮水机坏了",
        created_at=timezone.now(),
    )


def routes(Route) -> dict:
    def keeper(method, url, expect, *, setup=station_setup, data=None):
        return Route(
            method,
            url,
            expect,
            positional=True,
            data=data,
            changes_state=method == "post",
            setup=setup,
            state=station_state,
        )

    return {
        "stations:host_home": Route("get", lambda ctx: reverse("stations:host_home"), _login_page),
        "stations:host_station": keeper("get", code_url("stations:host_station"), keeper_page),
        "stations:host_status": keeper(
            "post",
            code_url("stations:host_status"),
            keeper_action,
            data=lambda ctx: {"status": "temp_closed", "reason": "停电检修"},
        ),
        "stations:host_hours": keeper(
            "post",
            code_url("stations:host_hours"),
            keeper_action,
            data=lambda ctx: {"d0_open1": "08:00", "d0_close1": "20:00"},
        ),
        "stations:host_exception": keeper(
            "post",
            code_url("stations:host_exception"),
            keeper_action,
            data=lambda ctx: {"date": _in_days(7), "closed": "on", "note": "国庆"},
        ),
        "stations:host_exception_delete": keeper(
            "post",
            code_url("stations:host_exception_delete", lambda ctx: _in_days(EXCEPTION_IN_DAYS)),
            keeper_action,
            setup=_with_exception,
        ),
        "stations:host_amenities": keeper(
            "post",
            code_url("stations:host_amenities"),
            keeper_action,
            data=lambda ctx: {"amenities": ["water", "toilet"]},
        ),
        "stations:host_photos": keeper("get", code_url("stations:host_photos"), keeper_page),
        "stations:host_photo_delete": keeper(
            "post",
            code_url("stations:host_photo_delete", lambda ctx: ctx["photo"].pk),
            keeper_action,
            setup=_with_photo,
        ),
        "stations:host_feedback": keeper(
            "post",
            code_url("stations:host_feedback", lambda ctx: ctx["feedback"].pk),
            keeper_action,
            setup=_with_problem,
            data=lambda ctx: {"status": "resolved", "response": "已更换滤芯"},
        ),
        "stations:poster": keeper(
            "get", code_url("stations:poster", lambda ctx: "png"), keeper_page
        ),
    }
