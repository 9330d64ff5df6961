"""The registry rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model, from the role design (roles.py): officers of a district, city or province manage
workers in their region and below and may reveal; community officers and party officers view
workers (masked), community officers only in their street; party officers cannot reveal. Any
account sees its own data pages; registration and code login are public.
"""

from __future__ import annotations

from django.urls import reverse

MANAGES = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
VIEWS_WORKERS = {**MANAGES, "party_officer": {"own", "sibling"}, "community_officer": set()}
COVERAGE = set(MANAGES) | {"community_officer"}
ACCOUNTS = {"courier", "host", "provider", *MANAGES, "community_officer", "party_officer",
            "auditor", "security_admin", "system_admin"}  # fmt: skip

ID = "11010519491231002X"


def worker_setup(ctx) -> None:
    from conftest import next_phone
    from warmbee.orgs.models import Organisation, OrgKind, Outlet
    from warmbee.regions.models import Region
    from warmbee.workers.models import Source, Worker
    from warmbee.workers.services import id_number_index

    region = Region.objects.get(code=ctx["region"])
    company = Organisation.objects.create(kind=OrgKind.COMPANY, name="矩阵快递", region=region)
    outlet = Outlet.objects.create(company=company, name="矩阵网点", region=region)
    ctx["worker"] = Worker.objects.create(
        name="矩阵工人",
        phone=next_phone(),
        company=company,
        outlet=outlet,
        region=region,
        source=Source.STAFF,
        id_number=ID,
        id_number_index=id_number_index(ID),
    )


def certificate_setup(ctx) -> None:
    import datetime as dt

    from warmbee.workers.models import Certificate

    worker_setup(ctx)
    ctx["cert"] = Certificate.objects.create(
        worker=ctx["worker"], name="快递员", issuer="鉴定中心", issued_on=dt.date(2026, 1, 5)
    )


def worker_state(ctx) -> dict:
    from warmbee.workers.models import Worker

    return {"workers": list(Worker.objects.unscoped(reason="test").order_by("pk").values())}


def _page(holders, *, anonymous=302):
    def expect(persona, position):
        if persona == "anonymous":
            return anonymous
        return 200 if persona in holders else 404

    return expect


def _detail(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in VIEWS_WORKERS.get(persona, ()) else 404


def _manage_detail(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in MANAGES.get(persona, ()) else 404


def _reveal(persona, position):
    if persona == "anonymous":
        return 302
    if position not in VIEWS_WORKERS.get(persona, ()):
        return 404
    return 200 if persona in MANAGES else 403


def _api_list(persona, position):
    if persona == "anonymous":
        return 401
    return 200 if persona in VIEWS_WORKERS else 403


def _api_detail(persona, position):
    if persona == "anonymous":
        return 401
    if persona not in VIEWS_WORKERS:
        return 403
    return 200 if position in VIEWS_WORKERS[persona] else 404


def _api_reveal(persona, position):
    expected = _api_detail(persona, position)
    if expected == 200 and persona not in MANAGES:
        return 403
    return expected


def _u(name):
    return lambda ctx: reverse(name)


def _notice_setup(ctx) -> None:
    from warmbee.privacy.services import notice_publish

    notice_publish(actor=None, purpose="health", title="体检", body="体检告知")


def routes(Route) -> dict:
    view = set(VIEWS_WORKERS)
    manage = set(MANAGES)
    own = _page(ACCOUNTS)
    return {
        "workers:console_list": Route("get", _u("workers:console_list"), _page(view)),
        "workers:console_coverage": Route("get", _u("workers:console_coverage"), _page(COVERAGE)),
        "workers:console_detail": Route(
            "get",
            lambda ctx: reverse("workers:console_detail", args=[ctx["worker"].pk]),
            _detail,
            positional=True,
            setup=worker_setup,
        ),
        "workers:console_create": Route("get", _u("workers:console_create"), _page(manage)),
        "workers:console_edit": Route(
            "get",
            lambda ctx: reverse("workers:console_edit", args=[ctx["worker"].pk]),
            _manage_detail,
            positional=True,
            setup=worker_setup,
        ),
        "workers:console_certificate_edit": Route(
            "get",
            lambda ctx: reverse(
                "workers:console_certificate_edit", args=[ctx["worker"].pk, ctx["cert"].pk]
            ),
            _manage_detail,
            positional=True,
            setup=certificate_setup,
        ),
        "workers:console_record_add": Route(
            "get",
            lambda ctx: reverse("workers:console_record_add", args=[ctx["worker"].pk, "insurance"]),
            _manage_detail,
            positional=True,
            setup=worker_setup,
        ),
        "workers:console_reveal": Route(
            "post",
            lambda ctx: reverse("workers:console_reveal", args=[ctx["worker"].pk]),
            _reveal,
            positional=True,
            setup=worker_setup,
            state=worker_state,
            data=lambda ctx: {"field": "id_number", "reason": "核对保险信息"},
            changes_state=True,
        ),
        "workers:console_party": Route(
            "get", _u("workers:console_party"), _page({"party_officer"})
        ),
        "api:worker_list": Route("get", _u("api:worker_list"), _api_list),
        "api:worker_detail": Route(
            "get",
            lambda ctx: reverse("api:worker_detail", args=[ctx["worker"].pk]),
            _api_detail,
            positional=True,
            setup=worker_setup,
        ),
        "api:worker_reveal": Route(
            "post_json",
            lambda ctx: reverse("api:worker_reveal", args=[ctx["worker"].pk]),
            _api_reveal,
            positional=True,
            setup=worker_setup,
            state=worker_state,
            data=lambda ctx: {"field": "id_number", "reason": "核对保险信息"},
            changes_state=True,
        ),
        "workers:roster_import": Route("get", _u("workers:roster_import"), _page(manage)),
        "workers:roster_template": Route("get", _u("workers:roster_template"), _page(manage)),
        "workers:roster_export": Route("get", _u("workers:roster_export"), _page(view)),
        "workers:register": Route(
            "get",
            _u("workers:register"),
            lambda persona, position: 200 if persona == "anonymous" else 302,
        ),
        "workers:register_outlets": Route(
            "get", _u("workers:register_outlets"), lambda p, pos: 200
        ),
        "workers:code_login": Route("get", _u("workers:code_login"), lambda p, pos: 200),
        "workers:me_data": Route("get", _u("workers:me_data"), own),
        "workers:me_data_json": Route("get", _u("workers:me_data_json"), own),
        "workers:me_data_csv": Route("get", _u("workers:me_data_csv"), own),
        "workers:me_privacy": Route("get", _u("workers:me_privacy"), own),
        "workers:me_requests": Route("get", _u("workers:me_requests"), own),
        "workers:me_privacy_change": Route(
            "post",
            _u("workers:me_privacy_change"),
            lambda persona, position: 302,
            setup=_notice_setup,
            data=lambda ctx: {"purpose": "health", "action": "give"},
            changes_state=True,
        ),
    }
