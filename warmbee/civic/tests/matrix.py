"""The civic rows of the authorisation matrix (merged by core/tests/test_matrix.py).

Reference model (ADR 0013): a report in a position's district (for "own": in 萨尔图街道, the
community officer's street) reported by the courier persona. VIEW_REPORT holders see reports
under their grants; HANDLE_REPORT holders (community and district officers) act on them; city
and province officers see but do not act (403). The reporter reaches their own report pages;
everyone else gets 404. The report form, near-duplicate hints and Open311 reads are public;
an Open311 POST without an API key is 403 and writes nothing.

Configuration (routing table, response templates, API keys): MANAGE_CIVIC holders — district
officers over their district, city officers over the city — reach the pages; everyone else
gets 404. A row outside the officer's area is 404; a create naming a region outside it is
refused (400) and writes nothing.

Report categories are global: only MANAGE_CIVIC over the deployment's region (HOME_REGION,
大庆市 230600) keeps them — the city officer. District officers, whose MANAGE_CIVIC stops at
their district, get 404 like everyone else.
"""

from __future__ import annotations

from django.urls import reverse

SEES = {
    "community_officer": {"own"},
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
    "province_officer": {"own", "sibling", "other_city"},
}
HANDLES = {"community_officer", "district_officer", "other_district"}
MANAGES = {
    "district_officer": {"own"},
    "other_district": {"sibling"},
    "city_officer": {"own", "sibling"},
}
KEEPS_CATEGORIES = {"city_officer"}


def report_setup(ctx, status="submitted") -> None:
    from django.utils import timezone

    from warmbee.civic.models import Category, CivicReport

    category, _ = Category.objects.get_or_create(
        code="manhole", defaults={"name": "井盖缺失", "name_en": "Missing manhole cover"}
    )
    region = "230602013" if ctx.get("position") == "own" else ctx["region"]
    now = timezone.now()
    ctx["report"] = CivicReport.objects.create(
        category=category,
        reporter=ctx["personas"]["courier"],
        lat="46.600000",
        lng="125.000000",
        region_id=region,
        routed_body="测试社区",
        status=status,
        created_at=now,
        updated_at=now,
        resolved_at=now if status == "resolved" else None,
    )


def resolved_setup(ctx) -> None:
    report_setup(ctx, status="resolved")


def photo_setup(ctx) -> None:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from warmbee.civic.models import ReportPhoto
    from warmbee.core.uploads import image_store

    report_setup(ctx)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(buffer, "JPEG")
    stored = image_store(
        upload=SimpleUploadedFile("a.jpg", buffer.getvalue(), "image/jpeg"), subdir="civic"
    )
    ctx["photo"] = ReportPhoto.objects.create(
        report=ctx["report"], image=stored.name, width=8, height=8
    )


def rule_setup(ctx, active=True) -> None:
    from warmbee.civic.models import RoutingRule

    ctx["rule"] = RoutingRule.objects.create(
        district_id=ctx["region"], body="矩阵路灯所", contacts="0459-4600000", is_active=active
    )


def inactive_rule_setup(ctx) -> None:
    rule_setup(ctx, active=False)


def template_setup(ctx, active=True) -> None:
    from warmbee.civic.models import ResponseTemplate

    ctx["template"] = ResponseTemplate.objects.create(
        region_id=ctx["region"], status="acknowledged", title="已收到", body="已收到您的反映。"
    )
    if not active:
        ResponseTemplate.objects.unscoped(reason="test").filter(pk=ctx["template"].pk).update(
            is_active=False
        )


def retired_template_setup(ctx) -> None:
    template_setup(ctx, active=False)


def key_setup(ctx) -> None:
    from warmbee.civic.models import ApiClient
    from warmbee.civic.services import hash_key

    ctx["client"] = ApiClient.objects.create(
        name="矩阵热线", region_id=ctx["region"], key_prefix="matrix", key_hash=hash_key("m")
    )


def category_setup(ctx, active=True) -> None:
    from warmbee.civic.models import Category

    ctx["category"] = Category.objects.create(
        code="matrix", name="矩阵类别", name_en="Matrix", is_active=active
    )


def retired_category_setup(ctx) -> None:
    category_setup(ctx, active=False)


def category_state(ctx):
    from warmbee.civic.models import Category

    return list(Category.objects.order_by("pk").values())


def category_keeper(success):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return success if persona in KEEPS_CATEGORIES else 404

    return expect


def config_state(ctx):
    from warmbee.civic.models import ApiClient, ResponseTemplate, RoutingRule

    return {
        model.__name__: list(model.objects.unscoped(reason="test").order_by("pk").values())
        for model in (RoutingRule, ResponseTemplate, ApiClient)
    }


def report_state(ctx):
    from warmbee.civic.models import CivicReport

    return list(
        CivicReport.objects.unscoped(reason="test").values_list("code", "status", "updated_at")
    )


def everyone(persona, position):
    return 200


def signed_in(persona, position):
    return 302 if persona == "anonymous" else 200


def staff_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in SEES else 404


def staff_report(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if position in SEES.get(persona, ()) else 404


def staff_act(persona, position):
    if persona == "anonymous":
        return 302
    if position not in SEES.get(persona, ()):
        return 404
    return 302 if persona in HANDLES else 403


def manager_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona in MANAGES else 404


def manager_row(success):
    def expect(persona, position):
        if persona == "anonymous":
            return 302
        return success if position in MANAGES.get(persona, ()) else 404

    return expect


def manager_create(success):
    """A create naming the position's region: in the officer's area it succeeds; outside it the
    region is not a choice (400, nothing written)."""

    def expect(persona, position):
        if persona == "anonymous":
            return 302
        if persona not in MANAGES:
            return 404
        return success if position in MANAGES[persona] else 400

    return expect


def reporter_page(persona, position):
    if persona == "anonymous":
        return 302
    return 200 if persona == "courier" else 404


def reporter_act(persona, position):
    if persona == "anonymous":
        return 302
    return 302 if persona == "courier" else 404


def photo_access(persona, position):
    """An unmoderated photo: the reporter and the staff who see the report."""
    if persona == "courier" or position in SEES.get(persona, ()):
        return 200
    return 404


def code_url(name):
    return lambda ctx: reverse(name, args=[ctx["report"].code])


def plain(name, *args, query=""):
    return lambda ctx: reverse(name, args=list(args)) + query


def routes(Route) -> dict:
    return {
        "civic:report": Route("get", plain("civic:report"), everyone),
        "civic:nearby": Route(
            "get",
            plain("civic:nearby", query="?category=manhole&lat=46.6&lng=125.0"),
            everyone,
            setup=report_setup,
        ),
        "civic:report_sent": Route(
            "get", code_url("civic:report_sent"), everyone, setup=report_setup
        ),
        "civic:photo": Route(
            "get",
            lambda ctx: reverse("civic:photo", args=[ctx["photo"].pk]),
            photo_access,
            positional=True,
            setup=photo_setup,
        ),
        "civic:my_reports": Route("get", plain("civic:my_reports"), signed_in),
        "civic:my_report": Route(
            "get", code_url("civic:my_report"), reporter_page, positional=True, setup=report_setup
        ),
        "civic:my_report_answer": Route(
            "post",
            code_url("civic:my_report_answer"),
            reporter_act,
            positional=True,
            data=lambda ctx: {"answer": "fixed"},
            changes_state=True,
            setup=resolved_setup,
            state=report_state,
        ),
        "civic:console_queue": Route("get", plain("civic:console_queue"), staff_page),
        "civic:console_figures": Route("get", plain("civic:console_figures"), staff_page),
        "civic:console_report": Route(
            "get",
            code_url("civic:console_report"),
            staff_report,
            positional=True,
            setup=report_setup,
        ),
        "civic:console_report_act": Route(
            "post",
            code_url("civic:console_report_act"),
            staff_act,
            positional=True,
            data=lambda ctx: {"to": "acknowledged"},
            changes_state=True,
            setup=report_setup,
            state=report_state,
        ),
        **config_routes(Route),
        "open311:api-root": Route("get", plain("open311:api-root"), lambda p, q: 404),
        "open311:discovery": Route("get", plain("open311:discovery", "json"), everyone),
        "open311:services": Route("get", plain("open311:services", "json"), everyone),
        "open311:service": Route(
            "get",
            plain("open311:service", "manhole", "json"),
            everyone,
            setup=report_setup,
        ),
        "open311:requests": Route(
            "get", plain("open311:requests", "json"), everyone, setup=report_setup
        ),
        "open311:requests_post": Route(
            "post",
            plain("open311:requests_post", "json"),
            lambda p, q: 403,
            data=lambda ctx: {"service_code": "manhole", "lat": "46.6", "long": "125.0"},
            changes_state=True,
            setup=report_setup,
            state=report_state,
        ),
        "open311:request": Route(
            "get",
            lambda ctx: reverse("open311:request", args=[ctx["report"].code, "json"]),
            everyone,
            positional=True,
            setup=report_setup,
        ),
        "open311:token": Route(
            "get",
            lambda ctx: reverse("open311:token", args=[ctx["report"].code, "json"]),
            everyone,
            setup=report_setup,
        ),
    }


def config_routes(Route) -> dict:
    def pk_url(name, key):
        return lambda ctx: reverse(name, args=[ctx[key].pk])

    def row(method, name, key, setup, success, data=None):
        return Route(
            method,
            pk_url(name, key),
            manager_row(success),
            positional=True,
            data=data,
            changes_state=method == "post",
            setup=setup,
            state=config_state,
        )

    def create(name, data, success):
        return Route(
            "post",
            plain(name),
            manager_create(success),
            positional=True,
            data=data,
            changes_state=True,
            state=config_state,
        )

    return {
        "civic:console_rules": Route("get", plain("civic:console_rules"), manager_page),
        "civic:console_rule_create": create(
            "civic:console_rule_create",
            lambda ctx: {"district": ctx["region"], "body": "矩阵城管", "contacts": "12319"},
            302,
        ),
        "civic:console_rule_edit": row(
            "post",
            "civic:console_rule_edit",
            "rule",
            rule_setup,
            302,
            data=lambda ctx: {"district": ctx["region"], "body": "矩阵路灯管理所"},
        ),
        "civic:console_rule_deactivate": row(
            "post", "civic:console_rule_deactivate", "rule", rule_setup, 302
        ),
        "civic:console_rule_reactivate": row(
            "post", "civic:console_rule_reactivate", "rule", inactive_rule_setup, 302
        ),
        "civic:console_templates": Route("get", plain("civic:console_templates"), manager_page),
        "civic:console_template_create": create(
            "civic:console_template_create",
            lambda ctx: {
                "region": ctx["region"],
                "status": "resolved",
                "title": "已处理",
                "body": "问题已处理完毕。",
            },
            302,
        ),
        "civic:console_template_edit": row(
            "post",
            "civic:console_template_edit",
            "template",
            template_setup,
            302,
            data=lambda ctx: {
                "region": ctx["region"],
                "status": "acknowledged",
                "title": "已收到",
                "body": "已收到，网格员正在赶往现场。",
            },
        ),
        "civic:console_template_retire": row(
            "post", "civic:console_template_retire", "template", template_setup, 302
        ),
        "civic:console_template_reinstate": row(
            "post", "civic:console_template_reinstate", "template", retired_template_setup, 302
        ),
        "civic:console_api_keys": Route(
            "get", plain("civic:console_api_keys"), manager_page, setup=key_setup
        ),
        # Success answers 200: the page that shows the new key once (not a redirect).
        "civic:console_api_key_create": create(
            "civic:console_api_key_create",
            lambda ctx: {"name": "12345热线", "region": ctx["region"]},
            200,
        ),
        "civic:console_api_key_revoke": row(
            "post", "civic:console_api_key_revoke", "client", key_setup, 302
        ),
        **category_routes(Route),
    }


def category_routes(Route) -> dict:
    """Global rows: no position; the outcome depends on the persona alone."""

    def form_data(ctx):
        return {
            "code": "matrix-new",
            "name": "矩阵新类别",
            "name_en": "Matrix new",
            "ack_hours": "2",
            "resolve_hours": "24",
            "sort": "5",
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "questions-0-code": "depth",
            "questions-0-description": "积水深度",
            "questions-0-datatype": "singlevaluelist",
            "questions-0-values": "ankle=没过脚踝\nknee=没过膝盖",
        }

    def act(name, setup, data=None):
        return Route(
            "post",
            lambda ctx: reverse(name, args=[ctx["category"].pk]),
            category_keeper(302),
            data=data,
            changes_state=True,
            setup=setup,
            state=category_state,
        )

    return {
        "civic:console_categories": Route(
            "get", plain("civic:console_categories"), category_keeper(200), setup=category_setup
        ),
        "civic:console_category_create": Route(
            "post",
            plain("civic:console_category_create"),
            category_keeper(302),
            data=form_data,
            changes_state=True,
            state=category_state,
        ),
        "civic:console_category_edit": act(
            "civic:console_category_edit", category_setup, data=form_data
        ),
        "civic:console_category_retire": act("civic:console_category_retire", category_setup),
        "civic:console_category_reinstate": act(
            "civic:console_category_reinstate", retired_category_setup
        ),
    }
