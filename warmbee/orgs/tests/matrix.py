"""The organisations rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model: officers, community officers and party officers view organisations and outlets
in their region and below (a community officer's grant is a street, below the county-level
organisations of the fixtures, so they see none of them).
"""

from __future__ import annotations

from django.urls import reverse

VIEWS = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
    "party_officer": {"own", "sibling"},
    "community_officer": set(),
}


def org_setup(ctx) -> None:
    from warmbee.orgs.models import Organisation, OrgKind, Outlet
    from warmbee.regions.models import Region

    region = Region.objects.get(code=ctx["region"])
    ctx["org"] = Organisation.objects.create(kind=OrgKind.COMPANY, name="矩阵公司", region=region)
    ctx["outlet"] = Outlet.objects.create(
        company=ctx["org"], name="矩阵网点", region=region, manager_phone="+8613912345678"
    )


def _page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in VIEWS else 404


def _detail(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in VIEWS.get(persona, ()) else 404


MANAGES = {"district_officer", "other_district", "city_officer", "province_officer"}


def _manage_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in MANAGES else 404


MANAGES_AT = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}


def _manage_detail(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in MANAGES_AT.get(persona, ()) else 404


def routes(Route) -> dict:
    return {
        "orgs:outlet_import": Route("get", lambda ctx: reverse("orgs:outlet_import"), _manage_page),
        "orgs:outlet_create": Route("get", lambda ctx: reverse("orgs:outlet_create"), _manage_page),
        "orgs:org_create": Route("get", lambda ctx: reverse("orgs:org_create"), _manage_page),
        "orgs:org_edit": Route(
            "get",
            lambda ctx: reverse("orgs:org_edit", args=[ctx["org"].pk]),
            _manage_detail,
            positional=True,
            setup=org_setup,
        ),
        "orgs:outlet_edit": Route(
            "get",
            lambda ctx: reverse("orgs:outlet_edit", args=[ctx["outlet"].pk]),
            _manage_detail,
            positional=True,
            setup=org_setup,
        ),
        "orgs:outlet_template": Route(
            "get", lambda ctx: reverse("orgs:outlet_template"), _manage_page
        ),
        "orgs:console_org_list": Route("get", lambda ctx: reverse("orgs:console_org_list"), _page),
        "orgs:console_outlet_list": Route(
            "get", lambda ctx: reverse("orgs:console_outlet_list"), _page
        ),
        "orgs:console_org_detail": Route(
            "get",
            lambda ctx: reverse("orgs:console_org_detail", args=[ctx["org"].pk]),
            _detail,
            positional=True,
            setup=org_setup,
        ),
        "orgs:console_outlet_detail": Route(
            "get",
            lambda ctx: reverse("orgs:console_outlet_detail", args=[ctx["outlet"].pk]),
            _detail,
            positional=True,
            setup=org_setup,
        ),
    }
