"""The privacy rows of the authorisation matrix: the staff queue of data requests and the
approved personal-data exports.

Reference model: district, city and province officers answer requests from their region and
below; everyone else 404. The same officers ask for full exports and decide on other officers'
export requests in their region and below (R29); the file goes only to the person who asked, so
every persona gets 404 for the download of a request made by someone else.
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


EXPORTS = set(HANDLES)  # hold EXPORT_PI and APPROVE_EXPORT (roles.py _OFFICER)


def export_setup(ctx) -> None:
    """A pending export request by a district officer of the position's district."""
    from conftest import PASSWORD, next_phone
    from warmbee.accounts.services import operator_user_create
    from warmbee.privacy.services import export_request
    from warmbee.regions.models import Region

    requester = operator_user_create(
        phone=next_phone(),
        name="申请人",
        role="district_officer",
        region=Region.objects.get(code=ctx["region"]),
        password=PASSWORD,
    )
    ctx["export"] = export_request(
        actor=requester, kind="workers.roster", filters="kind=courier", reason="年度核对"
    )


def export_state(ctx) -> dict:
    from warmbee.privacy.models import ExportRequest

    return {"exports": list(ExportRequest.objects.unscoped(reason="test").values())}


def _exports_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in EXPORTS else 404


def _export_detail(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in HANDLES.get(persona, ()) else 404


def _export_decide(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if position in HANDLES.get(persona, ()) else 404


def _export_download(persona, position):
    return 302 if persona == "anonymous" else 404


def _export_url(name):
    return lambda ctx: reverse(name, args=[ctx["export"].pk])


def routes(Route) -> dict:
    return {
        "privacy:console_exports": Route(
            "get", lambda ctx: reverse("privacy:console_exports"), _exports_page
        ),
        "privacy:console_export_new": Route(
            "get", lambda ctx: reverse("privacy:console_export_new"), _exports_page
        ),
        "privacy:console_export_detail": Route(
            "get",
            _export_url("privacy:console_export_detail"),
            _export_detail,
            positional=True,
            setup=export_setup,
        ),
        "privacy:console_export_decide": Route(
            "post",
            _export_url("privacy:console_export_decide"),
            _export_decide,
            positional=True,
            setup=export_setup,
            state=export_state,
            data=lambda ctx: {"decision": "approve", "note": "同意"},
            changes_state=True,
        ),
        "privacy:console_export_download": Route(
            "get",
            _export_url("privacy:console_export_download"),
            _export_download,
            positional=True,
            setup=export_setup,
            state=export_state,
            changes_state=True,
        ),
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
