"""The privacy rows of the authorisation matrix: the staff queue of data requests.

Reference model: district, city and province officers answer requests from their region and
below; everyone else 404.
"""

from __future__ import annotations

from django.urls import reverse

HANDLES = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}


def request_setup(ctx) -> None:
    import datetime as dt

    from django.utils import timezone

    from warmbee.privacy.models import DataRequest

    ctx["request"] = DataRequest.objects.create(
        user=ctx["target"],
        region=ctx["target"].region,
        kind="correction",
        details="姓名写错了",
        due_at=timezone.now() + dt.timedelta(days=15),
    )


def request_state(ctx) -> dict:
    from warmbee.privacy.models import DataRequest

    return {"requests": list(DataRequest.objects.unscoped(reason="test").values())}


def _queue(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in HANDLES else 404


def _handle(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if position in HANDLES.get(persona, ()) else 404


def routes(Route) -> dict:
    return {
        "privacy:console_requests": Route(
            "get", lambda ctx: reverse("privacy:console_requests"), _queue
        ),
        "privacy:console_request_handle": Route(
            "post",
            lambda ctx: reverse("privacy:console_request_handle", args=[ctx["request"].pk]),
            _handle,
            positional=True,
            setup=request_setup,
            state=request_state,
            data=lambda ctx: {"status": "done", "response": "已更正"},
            changes_state=True,
        ),
    }
