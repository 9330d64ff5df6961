"""The civic configuration pages over HTTP, in Chinese: create, edit, take out of use, the
errors on the field they name (400, nothing written), scope (404), the API key shown exactly
once and refused by Open311 once revoked, the queue's links, pinned query counts."""

from __future__ import annotations

import pytest

from warmbee.audit.models import AuditEvent
from warmbee.civic import services
from warmbee.civic.models import ApiClient, CivicReport, ResponseTemplate, RoutingRule

from .conftest import INSIDE_A

pytestmark = pytest.mark.django_db


def rules():
    return RoutingRule.objects.unscoped(reason="test")


def templates():
    return ResponseTemplate.objects.unscoped(reason="test")


def keys():
    return ApiClient.objects.unscoped(reason="test")


def message(response) -> str:
    """The message the redirected-to page will show (the last one queued)."""
    return [str(m) for m in response.wsgi_request._messages][-1]


def test_the_queue_links_the_configuration_for_those_who_manage_it(as_persona):
    links = ("/console/civic/routing/", "/console/civic/templates/", "/console/civic/api-keys/")
    page = as_persona("district_officer").get("/console/reports/").content.decode()
    assert all(link in page for link in links)
    assert "分派规则表" in page and "对接密钥" in page
    page = as_persona("community_officer").get("/console/reports/").content.decode()
    assert not any(link in page for link in links)
    for link in links:
        assert as_persona("community_officer").get(link).status_code == 404
        assert as_persona("province_officer").get(link).status_code == 404


# --- the routing table ---------------------------------------------------------------------------
def test_create_edit_and_stop_using_a_rule(as_persona, grid, categories):
    client = as_persona("district_officer")
    form = client.get("/console/civic/routing/new/")
    assert form.status_code == 200
    assert "全区（兜底）" in form.content.decode() and "T-A" in form.content.decode()
    r = client.post(
        "/console/civic/routing/new/",
        {
            "district": "230602",
            "category": "streetlight",
            "area": "T-B",
            "body": "萨尔图区路灯所",
            "contacts": "0459-4601234",
            "handler_region": "230602",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/console/civic/routing/"
    rule = rules().get()
    assert (rule.category.code, rule.area.code, rule.handler_region_id) == (
        "streetlight",
        "T-B",
        "230602",
    )
    listing = client.get("/console/civic/routing/")
    assert message(r) == "分派规则已保存。"
    assert "萨尔图区路灯所" in listing.content.decode()
    edit = f"/console/civic/routing/{rule.pk}/"
    assert "萨尔图区路灯所" in client.get(edit).content.decode()
    r = client.post(edit, {"district": "230602", "category": "", "area": "", "body": "城管"})
    assert r.status_code == 302
    rule.refresh_from_db()
    assert (rule.category, rule.area, rule.body, rule.handler_region) == (None, None, "城管", None)
    # Taking it out of use asks first.
    confirm = client.get(f"/console/civic/routing/{rule.pk}/deactivate/")
    assert confirm.status_code == 200 and "停用这条分派规则？" in confirm.content.decode()
    assert rules().get().is_active
    r = client.post(f"/console/civic/routing/{rule.pk}/deactivate/")
    assert r.status_code == 302 and message(r) == "分派规则已停用。"
    assert not rules().get().is_active
    assert "该规则已停用：分派时不会采用。" in client.get(edit).content.decode()
    r = client.post(f"/console/civic/routing/{rule.pk}/deactivate/")
    assert message(r) == "该规则已停用。"
    r = client.post(f"/console/civic/routing/{rule.pk}/reactivate/")
    assert message(r) == "分派规则已重新启用。" and rules().get().is_active
    assert [
        e.action
        for e in AuditEvent.objects.filter(action__startswith="civic.routing").order_by("id")
    ] == [
        "civic.routing_rule_create",
        "civic.routing_rule_update",
        "civic.routing_rule_deactivate",
        "civic.routing_rule_reactivate",
    ]


@pytest.mark.parametrize(
    ("persona", "data", "field", "message"),
    [
        ("district_officer", {"body": ""}, "body", "此项为必填项。"),
        ("district_officer", {"body": "   "}, "body", "此项为必填项。"),
        (
            "city_officer",
            {"area": "T-C"},
            "area",
            "网格 T-C 不在萨尔图区内。",
        ),
        (
            "city_officer",
            {"handler_region": "230603"},
            "handler_region",
            "处理区域必须是萨尔图区或其下级区域。",
        ),
        (
            "district_officer",
            {"district": "230603"},
            "district",
            "选择一个有效的选项。 230603 不在可用的选项中。",
        ),
        (
            "district_officer",
            {"category": "manhole"},
            "category",
            "萨尔图区已有适用于井盖缺失的全区规则，请修改那条规则。",
        ),
        (
            "district_officer",
            {"category": "manhole", "area": "T-A"},
            "area",
            "网格 T-A 已有适用于井盖缺失的规则，请修改那条规则。",
        ),
    ],
    ids=[
        "no-body",
        "blank-body",
        "area-in-another-district",
        "handler-elsewhere",
        "district-outside-my-area",
        "duplicate-district-wide",
        "duplicate-in-area",
    ],
)
def test_a_refused_rule_names_its_field(
    as_persona, personas, region, grid, categories, persona, data, field, message
):
    officer = personas["district_officer"]
    services.routing_rule_create(
        actor=officer, district=region("230602"), category=categories["manhole"], body="已有"
    )
    services.routing_rule_create(
        actor=officer,
        district=region("230602"),
        category=categories["manhole"],
        area=grid["A"],
        body="已有",
    )
    before, audits = rules().count(), AuditEvent.objects.count()
    post = {"district": "230602", "category": "", "area": "", "body": "新规则"} | data
    r = as_persona(persona).post("/console/civic/routing/new/", post)
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert 'class="field has-error"' in r.content.decode() and message in r.content.decode()
    assert rules().count() == before and AuditEvent.objects.count() == audits


def test_rules_outside_the_area_are_404(as_persona, personas, region, categories):
    rule = services.routing_rule_create(
        actor=personas["city_officer"], district=region("230603"), body="龙凤区城管"
    )
    client = as_persona("district_officer")
    for url in (
        f"/console/civic/routing/{rule.pk}/",
        f"/console/civic/routing/{rule.pk}/deactivate/",
        "/console/civic/routing/99999/",
    ):
        assert client.get(url).status_code == 404, url
    r = client.post(f"/console/civic/routing/{rule.pk}/", {"district": "230602", "body": "抢"})
    assert r.status_code == 404
    assert "龙凤区城管" not in client.get("/console/civic/routing/").content.decode()
    assert rules().get().body == "龙凤区城管" and rules().get().district_id == "230603"


def test_the_rule_list_filters_and_has_a_fixed_number_of_queries(
    as_persona, personas, region, grid, categories, django_assert_max_num_queries
):
    city = personas["city_officer"]
    for n, code in enumerate(("manhole", "streetlight", "road")):
        services.routing_rule_create(
            actor=city, district=region("230602"), category=categories[code], body=f"规则{n}"
        )
        services.routing_rule_create(
            actor=city,
            district=region("230603"),
            category=categories[code],
            area=grid["C"],
            body=f"龙凤{n}",
        )
    client = as_persona("city_officer")
    # 10: the navigation looks up the deployment's region to link the report categories.
    with django_assert_max_num_queries(10):
        r = client.get("/console/civic/routing/")
    assert r.context["page"].paginator.count == 6
    r = client.get("/console/civic/routing/?district=230603&category=road", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "龙凤2" in body and "龙凤0" not in body and "规则2" not in body
    assert "<html" not in body  # the partial only
    r = client.get("/console/civic/routing/?category=*")
    assert r.context["page"].paginator.count == 0


# --- response templates --------------------------------------------------------------------------
def test_create_edit_and_retire_a_template(as_persona, personas, grid, categories, submit):
    client = as_persona("district_officer")
    assert client.get("/console/civic/templates/new/").status_code == 200
    r = client.post(
        "/console/civic/templates/new/",
        {
            "region": "230602",
            "category": "manhole",
            "status": "acknowledged",
            "title": "马上到",
            "body": "网格员正在赶往现场。",
        },
    )
    assert r.status_code == 302
    template = templates().get()
    report = submit(personas["courier"], where=INSIDE_A).report
    page = as_persona("community_officer").get(f"/console/reports/{report.code}/")
    assert "马上到" in page.content.decode()
    edit = f"/console/civic/templates/{template.pk}/"
    r = client.post(
        edit,
        {"region": "230602", "category": "", "status": "resolved", "title": "已修好", "body": "好"},
    )
    assert r.status_code == 302
    template.refresh_from_db()
    assert (template.status, template.title, template.category) == ("resolved", "已修好", None)
    confirm = client.get(f"/console/civic/templates/{template.pk}/retire/")
    assert "停用这个回应模板？" in confirm.content.decode()
    r = client.post(f"/console/civic/templates/{template.pk}/retire/")
    assert message(r) == "回应模板已停用。" and not templates().get().is_active
    page = as_persona("community_officer").get(f"/console/reports/{report.code}/")
    assert "已修好" not in page.content.decode()
    listing = client.get("/console/civic/templates/").content.decode()
    assert "已修好" in listing and "已停用" in listing
    r = client.post(f"/console/civic/templates/{template.pk}/reinstate/")
    assert message(r) == "回应模板已重新启用。" and templates().get().is_active
    assert CivicReport.objects.unscoped(reason="test").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "此项为必填项。"),
        ({"body": ""}, "body", "此项为必填项。"),
        ({"title": "已收到"}, "title", "萨尔图区已有适用于该状态的模板“已收到”。"),
        ({"status": "confirmed"}, "status", "选择一个有效的选项。 confirmed 不在可用的选项中。"),
        ({"region": "230603"}, "region", "选择一个有效的选项。 230603 不在可用的选项中。"),
    ],
    ids=["no-title", "no-body", "duplicate-title", "status", "region-outside-my-area"],
)
def test_a_refused_template_names_its_field(as_persona, personas, region, data, field, message):
    services.response_template_create(
        actor=personas["district_officer"],
        region=region("230602"),
        status="acknowledged",
        title="已收到",
        body="已收到您的反映。",
    )
    audits = AuditEvent.objects.count()
    post = {"region": "230602", "status": "acknowledged", "title": "新模板", "body": "文本"} | data
    r = as_persona("district_officer").post("/console/civic/templates/new/", post)
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert templates().count() == 1 and AuditEvent.objects.count() == audits


def test_templates_outside_the_area_are_404(as_persona, personas, region):
    template = services.response_template_create(
        actor=personas["other_district"],
        region=region("230603"),
        status="resolved",
        title="已处理",
        body="问题已处理完毕。",
    )
    client = as_persona("district_officer")
    assert client.get(f"/console/civic/templates/{template.pk}/").status_code == 404
    assert client.post(f"/console/civic/templates/{template.pk}/retire/").status_code == 404
    assert "已处理" not in client.get("/console/civic/templates/").content.decode()
    assert templates().get().is_active


# --- Open311 API keys ----------------------------------------------------------------------------
def test_a_new_key_is_shown_once_and_works(as_persona, grid, categories, client):
    officer = as_persona("district_officer")
    assert officer.get("/console/civic/api-keys/new/").status_code == 200
    r = officer.post("/console/civic/api-keys/new/", {"name": "12345热线", "region": "230602"})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    key = r.context["key"]
    page = r.content.decode()
    assert page.count(key) == 1 and "请立即复制：密钥只显示这一次。" in page
    stored = keys().get()
    assert stored.key_hash == services.hash_key(key) and key not in str(keys().values().get())
    # Never again: not on the list, not in the audit trail, not in the session.
    listing = officer.get("/console/civic/api-keys/").content.decode()
    assert key not in listing and f"wb311_{stored.key_prefix}…" in listing
    assert "12345热线" in listing and "从未" in listing
    assert key not in str(dict(officer.session))
    for event in AuditEvent.objects.all():
        assert key not in str(event.changes) + event.target_label + event.reason
    assert AuditEvent.objects.filter(action="civic.api_key_create").count() == 1
    # The key works for Open311.
    data = {
        "api_key": key,
        "service_code": "manhole",
        "lat": str(INSIDE_A[0]),
        "long": str(INSIDE_A[1]),
        "idempotency_key": "hotline-1",
    }
    assert client.post("/open311/v2/requests.json", data).status_code == 201


def test_a_revoked_key_is_refused_by_open311(
    as_persona, personas, region, grid, categories, client
):
    api_client, key = services.api_client_create(
        actor=personas["city_officer"], name="12345热线", region=region("230602")
    )
    officer = as_persona("district_officer")
    url = f"/console/civic/api-keys/{api_client.pk}/revoke/"
    confirm = officer.get(url)
    assert confirm.status_code == 200 and "撤销这个对接密钥？" in confirm.content.decode()
    assert keys().get().is_active
    r = officer.post(url)
    assert r.status_code == 302 and message(r) == "对接密钥“12345热线”已撤销。"
    assert not keys().get().is_active
    assert "已撤销" in officer.get("/console/civic/api-keys/").content.decode()
    audits = AuditEvent.objects.count()
    data = {
        "api_key": key,
        "service_code": "manhole",
        "lat": str(INSIDE_A[0]),
        "long": str(INSIDE_A[1]),
        "idempotency_key": "hotline-2",
    }
    r = client.post("/open311/v2/requests.json", data)
    assert r.status_code == 403 and r.json()[0]["description"].startswith("api_key")
    assert not CivicReport.objects.unscoped(reason="test").exists()
    assert AuditEvent.objects.count() == audits
    assert message(officer.post(url)) == "该密钥已撤销。"
    # Another district's officer cannot even see it.
    assert as_persona("other_district").get(url).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "此项为必填项。"),
        ({"region": "230603"}, "region", "选择一个有效的选项。 230603 不在可用的选项中。"),
        ({"region": "230602013"}, "region", "选择一个有效的选项。 230602013 不在可用的选项中。"),
    ],
    ids=["no-name", "region-outside-my-area", "street"],
)
def test_a_refused_key_request_names_its_field(as_persona, data, field, message):
    audits = AuditEvent.objects.count()
    post = {"name": "12345热线", "region": "230602"} | data
    r = as_persona("district_officer").post("/console/civic/api-keys/new/", post)
    assert r.status_code == 400
    assert r.context["form"].errors[field] == [message]
    assert "key" not in r.context or r.context.get("key") is None
    assert not keys().exists() and AuditEvent.objects.count() == audits


def test_the_key_list_has_a_fixed_number_of_queries(
    as_persona, personas, region, django_assert_max_num_queries
):
    for n in range(5):
        services.api_client_create(
            actor=personas["district_officer"], name=f"对接{n}", region=region("230602")
        )
    client = as_persona("district_officer")
    with django_assert_max_num_queries(8):
        r = client.get("/console/civic/api-keys/")
    assert r.context["page"].paginator.count == 5
