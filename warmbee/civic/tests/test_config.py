"""The civic configuration services: the routing table, response templates and Open311 API
keys (MANAGE_CIVIC). Each rule's error names its field; a refused write leaves no row and no
audit event; every change is audited (contacts masked, an API key never)."""

from __future__ import annotations

import pytest
from django.utils import translation

from warmbee.audit.models import AuditEvent
from warmbee.civic import selectors, services
from warmbee.civic.models import ApiClient, CivicReport, ResponseTemplate, RoutingRule
from warmbee.core.errors import DomainError, Forbidden, NotFound

from .conftest import INSIDE_A, INSIDE_B

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read the services' messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


def rules():
    return RoutingRule.objects.unscoped(reason="test")


def templates():
    return ResponseTemplate.objects.unscoped(reason="test")


def events(action=None):
    qs = AuditEvent.objects.order_by("id")
    return qs.filter(action=action) if action else qs


# --- the routing table ---------------------------------------------------------------------------
def test_a_district_officer_adds_rules_and_reports_follow_them(
    personas, region, grid, categories, submit
):
    officer = personas["district_officer"]
    district = region("230602")
    fallback = services.routing_rule_create(
        actor=officer, district=district, body="萨尔图区城管", contacts="0459-4601234"
    )
    lights = services.routing_rule_create(
        actor=officer,
        district=district,
        category=categories["streetlight"],
        area=grid["B"],
        body="萨尔图区路灯所",
        contacts="值班 13912345678",
        handler_region=district,
    )
    assert list(rules().order_by("pk")) == [fallback, lights]
    assert submit(officer, where=INSIDE_A).report.routed_body == "萨尔图区城管"
    light = submit(officer, where=INSIDE_B, category="streetlight").report
    assert (light.routed_body, light.region_id) == ("萨尔图区路灯所", "230602")
    event = events("civic.routing_rule_create").last()
    assert event.actor_id == officer.pk and event.region_id == "230602"
    assert event.changes == {
        "district": [None, "230602"],
        "category": [None, "streetlight"],
        "area": [None, "T-B"],
        "handler_region": [None, "230602"],
        "body": [None, "萨尔图区路灯所"],
        "contacts": [None, "值班 139****5678"],  # a mobile in the contacts is masked (R22)
        "is_active": [None, True],
    }


def _rule_kwargs(region, grid, case: str) -> dict:
    base = {"district": region("230602"), "body": "萨尔图区城管"}
    return (
        base
        | {
            "township": {"district": region("230602013")},
            "area-elsewhere": {"area": grid["C"]},
            "handler-elsewhere": {"handler_region": region("230603")},
            "no-body": {"body": "   "},
            "long-body": {"body": "长" * 101},
            "long-contacts": {"contacts": "1" * 201},
        }[case]
    )


@pytest.mark.parametrize(
    ("case", "code", "field", "message"),
    [
        ("township", "not_a_district", "district", "Choose a district (a county-level region)."),
        ("area-elsewhere", "area_outside_district", "area", "Grid area T-C is not in 萨尔图区."),
        (
            "handler-elsewhere",
            "handler_outside_district",
            "handler_region",
            "The handling region must be 萨尔图区 or a region within it.",
        ),
        ("no-body", "required", "body", "Name the responsible body."),
        (
            "long-body",
            "invalid",
            "body",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
        (
            "long-contacts",
            "invalid",
            "contacts",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
    ],
    ids=[
        "township",
        "area-elsewhere",
        "handler-elsewhere",
        "no-body",
        "long-body",
        "long-contacts",
    ],
)
def test_a_bad_rule_is_refused_on_its_field(
    personas, region, grid, categories, case, code, field, message
):
    audits = events().count()
    with pytest.raises(DomainError) as caught:
        services.routing_rule_create(
            actor=personas["city_officer"], **_rule_kwargs(region, grid, case)
        )
    assert (caught.value.code, caught.value.field, str(caught.value.message)) == (
        code,
        field,
        message,
    )
    assert not rules().exists() and events().count() == audits


@pytest.mark.parametrize(
    ("category", "area", "field", "message"),
    [
        (
            None,
            None,
            "category",
            "萨尔图区 already has a district-wide rule for every category; edit that rule instead.",
        ),
        (
            "manhole",
            None,
            "category",
            "萨尔图区 already has a district-wide rule for Missing manhole cover; "
            "edit that rule instead.",
        ),
        (
            None,
            "A",
            "area",
            "Grid area T-A already has a rule for every category; edit that rule instead.",
        ),
        (
            "manhole",
            "A",
            "area",
            "Grid area T-A already has a rule for Missing manhole cover; edit that rule instead.",
        ),
    ],
    ids=["district-every", "district-category", "area-every", "area-category"],
)
def test_one_rule_per_category_and_area_even_out_of_use(
    personas, region, grid, categories, category, area, field, message
):
    officer = personas["district_officer"]
    kwargs = {
        "district": region("230602"),
        "category": categories[category] if category else None,
        "area": grid[area] if area else None,
    }
    first = services.routing_rule_create(actor=officer, body="第一条", **kwargs)
    services.routing_rule_set_active(actor=officer, rule=first, active=False)
    audits = events().count()
    with pytest.raises(DomainError) as caught:
        services.routing_rule_create(actor=officer, body="第二条", **kwargs)
    assert (caught.value.code, caught.value.field, str(caught.value.message)) == (
        "duplicate_rule",
        field,
        message,
    )
    assert rules().count() == 1 and events().count() == audits
    # The same key in the other district is a different rule.
    services.routing_rule_create(
        actor=personas["city_officer"],
        body="龙凤区",
        district=region("230603"),
        category=kwargs["category"],
        area=grid["C"] if area else None,
    )


def test_rules_outside_the_officers_area_are_refused(personas, region, grid, categories):
    audits = events().count()
    with pytest.raises(DomainError) as caught:
        services.routing_rule_create(
            actor=personas["other_district"], district=region("230602"), body="越界"
        )
    assert (caught.value.code, caught.value.field) == ("region_out_of_scope", "district")
    with pytest.raises(Forbidden):
        services.routing_rule_create(
            actor=personas["community_officer"], district=region("230602"), body="无权"
        )
    assert not rules().exists() and events().count() == audits
    rule = services.routing_rule_create(
        actor=personas["district_officer"], district=region("230602"), body="萨尔图区城管"
    )
    audits = events().count()
    for call in (
        lambda: services.routing_rule_update(
            actor=personas["other_district"], rule=rule, body="改"
        ),
        lambda: services.routing_rule_set_active(
            actor=personas["other_district"], rule=rule, active=False
        ),
        lambda: selectors.access_rule(personas["other_district"], rule.pk),
    ):
        with pytest.raises(NotFound):
            call()
    # Moving the rule to a district outside the officer's area.
    with pytest.raises(DomainError) as caught:
        services.routing_rule_update(
            actor=personas["district_officer"], rule=rule, district=region("230603")
        )
    assert (caught.value.code, caught.value.field) == ("region_out_of_scope", "district")
    assert rules().get().district_id == "230602" and rules().get().body == "萨尔图区城管"
    assert events().count() == audits


def test_edit_a_rule_audits_what_changed(personas, region, grid, categories):
    officer = personas["city_officer"]
    rule = services.routing_rule_create(
        actor=officer, district=region("230602"), body="萨尔图区城管", contacts="13800001234"
    )
    services.routing_rule_update(
        actor=officer,
        rule=rule,
        district=region("230603"),
        area=grid["C"],
        body="龙凤区城管",
        contacts="13899991234",
    )
    saved = rules().get()
    assert (saved.district_id, saved.area_id, saved.body) == ("230603", grid["C"].pk, "龙凤区城管")
    event = events("civic.routing_rule_update").get()
    assert event.region_id == "230603"
    # The masked contacts look alike, but the change was saved and audited.
    assert event.changes == {
        "district": ["230602", "230603"],
        "area": [None, "T-C"],
        "body": ["萨尔图区城管", "龙凤区城管"],
        "contacts": ["138****1234", "138****1234"],
    }
    assert saved.contacts == "13899991234"
    # Nothing changed: nothing saved, nothing audited.
    services.routing_rule_update(actor=officer, rule=saved, body="龙凤区城管 ")
    assert events("civic.routing_rule_update").count() == 1
    with pytest.raises(DomainError) as caught:
        services.routing_rule_update(actor=officer, rule=saved, is_active=False)
    assert caught.value.field == "is_active"


def test_a_rule_out_of_use_is_skipped_by_routing(personas, region, grid, categories, submit):
    officer = personas["district_officer"]
    rule = services.routing_rule_create(actor=officer, district=region("230602"), body="城管")
    services.routing_rule_set_active(actor=officer, rule=rule, active=False)
    assert submit(officer).report.routed_body == "萨尔图街道"  # the owning community
    with pytest.raises(DomainError) as caught:
        services.routing_rule_set_active(actor=officer, rule=rule, active=False)
    assert (caught.value.code, str(caught.value.message)) == (
        "unchanged",
        "This rule is already out of use.",
    )
    services.routing_rule_set_active(actor=officer, rule=rule, active=True)
    assert submit(officer, where=(46.607, 125.007)).report.routed_body == "城管"
    assert [(e.action, e.changes) for e in events() if "routing_rule_" in e.action][1:] == [
        ("civic.routing_rule_deactivate", {"is_active": [True, False]}),
        ("civic.routing_rule_reactivate", {"is_active": [False, True]}),
    ]
    assert CivicReport.objects.unscoped(reason="test").count() == 2


def test_the_table_lists_the_officers_area_only(personas, region, grid, categories):
    city = personas["city_officer"]
    mine = services.routing_rule_create(actor=city, district=region("230602"), body="萨尔图")
    area = services.routing_rule_create(
        actor=city,
        district=region("230602"),
        area=grid["A"],
        category=categories["road"],
        body="网格A道路",
    )
    other = services.routing_rule_create(actor=city, district=region("230603"), body="龙凤")
    assert list(selectors.routing_rules(actor=personas["district_officer"])) == [mine, area]
    assert list(selectors.routing_rules(actor=personas["other_district"])) == [other]
    assert list(selectors.routing_rules(actor=city)) == [mine, area, other]
    assert list(selectors.routing_rules(actor=city, category="road")) == [area]
    assert list(selectors.routing_rules(actor=city, category="*")) == [mine, other]
    assert list(selectors.routing_rules(actor=city, district=region("230603"))) == [other]
    assert list(selectors.routing_rules(actor=personas["community_officer"])) == []


# --- response templates --------------------------------------------------------------------------
def _report_in(region_code, categories):
    from django.utils import timezone

    now = timezone.now()
    return CivicReport.objects.create(
        category=categories["manhole"],
        lat="46.605",
        lng="125.005",
        region_id=region_code,
        created_at=now,
        updated_at=now,
    )


def test_templates_are_offered_in_their_region_and_can_be_retired(
    personas, region, grid, categories
):
    officer = personas["district_officer"]
    template = services.response_template_create(
        actor=officer,
        region=region("230602"),
        status="acknowledged",
        title=" 已收到 ",
        body="已收到您的反映，网格员正在赶往现场。",
        category=categories["manhole"],
    )
    assert (template.title, template.category_id) == ("已收到", categories["manhole"].pk)
    report = _report_in("230602013", categories)
    assert selectors.templates_for(officer, report) == [template]
    assert events("civic.template_create").get().changes == {
        "region": [None, "230602"],
        "category": [None, "manhole"],
        "status": [None, "acknowledged"],
        "title": [None, "已收到"],
        "body": [None, "已收到您的反映，网格员正在赶往现场。"],
        "is_active": [None, True],
    }
    services.response_template_update(
        actor=officer, template=template, body="已收到，马上处理。", category=None
    )
    assert events("civic.template_update").get().changes == {
        "category": ["manhole", None],
        "body": ["已收到您的反映，网格员正在赶往现场。", "已收到，马上处理。"],
    }
    services.response_template_set_active(actor=officer, template=template, active=False)
    assert selectors.templates_for(officer, report) == []
    with pytest.raises(DomainError) as caught:
        services.response_template_set_active(actor=officer, template=template, active=False)
    assert str(caught.value.message) == "This template is already retired."
    services.response_template_set_active(actor=officer, template=template, active=True)
    assert [e.action for e in events() if e.action.startswith("civic.template_")] == [
        "civic.template_create",
        "civic.template_update",
        "civic.template_retire",
        "civic.template_reinstate",
    ]


@pytest.mark.parametrize(
    ("change", "code", "field", "message"),
    [
        (
            {"status": "confirmed"},
            "invalid_status",
            "status",
            "Choose the change the response is for: acknowledged, in progress, resolved, "
            "rejected or duplicate.",
        ),
        ({"title": " "}, "required", "title", "Give the template a title."),
        ({"body": ""}, "required", "body", "Write the response text."),
        (
            {"title": "题" * 61},
            "invalid",
            "title",
            "Ensure this value has at most 60 characters (it has 61).",
        ),
        (
            {"title": "已收到"},
            "duplicate_template",
            "title",
            "萨尔图区 already has a template “已收到” for this status.",
        ),
        ({"region": "230603"}, "region_out_of_scope", "region", None),
    ],
    ids=["status", "no-title", "no-body", "long-title", "duplicate", "out-of-scope"],
)
def test_a_bad_template_is_refused_on_its_field(
    personas, region, categories, change, code, field, message
):
    officer = personas["district_officer"]
    services.response_template_create(
        actor=officer, region=region("230602"), status="acknowledged", title="已收到", body="好"
    )
    audits = events().count()
    kwargs = {
        "region": region("230602"),
        "status": "acknowledged",
        "title": "另一条",
        "body": "文本",
    } | change
    if isinstance(kwargs["region"], str):
        kwargs["region"] = region(kwargs["region"])
    with pytest.raises(DomainError) as caught:
        services.response_template_create(actor=officer, **kwargs)
    assert (caught.value.code, caught.value.field) == (code, field)
    if message:
        assert str(caught.value.message) == message
    assert templates().count() == 1 and events().count() == audits


def test_templates_outside_the_area_are_404(personas, region, categories):
    template = services.response_template_create(
        actor=personas["city_officer"],
        region=region("230603"),
        status="resolved",
        title="已处理",
        body="问题已处理完毕。",
    )
    for call in (
        lambda: selectors.access_template(personas["district_officer"], template.pk),
        lambda: services.response_template_update(
            actor=personas["district_officer"], template=template, title="改"
        ),
        lambda: services.response_template_set_active(
            actor=personas["district_officer"], template=template, active=False
        ),
    ):
        with pytest.raises(NotFound):
            call()
    assert list(selectors.response_templates(actor=personas["district_officer"])) == []
    assert list(selectors.response_templates(actor=personas["other_district"])) == [template]
    assert templates().get().title == "已处理"


# --- Open311 API keys ----------------------------------------------------------------------------
def test_a_key_is_kept_as_a_hash_audited_without_it_and_revoked(personas, region):
    officer = personas["district_officer"]
    client, key = services.api_client_create(
        actor=officer, name=" 12345热线 ", region=region("230602")
    )
    stored = ApiClient.objects.unscoped(reason="test").get()
    assert key.startswith("wb311_") and stored.key_prefix == key[6:12]
    assert stored.key_hash == services.hash_key(key) and key not in str(
        ApiClient.objects.unscoped(reason="test").values().get()
    )
    assert stored.name == "12345热线" and stored.created_by == officer
    assert services.api_client_for_key(key) == client
    created = events("civic.api_key_create").get()
    assert created.changes == {
        "name": [None, "12345热线"],
        "region": [None, "230602"],
        "key_prefix": [None, key[6:12]],
    }
    assert list(selectors.api_clients(actor=officer)) == [client]
    assert list(selectors.api_clients(actor=personas["other_district"])) == []
    with pytest.raises(NotFound):
        services.api_client_revoke(actor=personas["other_district"], client=client)
    services.api_client_revoke(actor=officer, client=client)
    assert services.api_client_for_key(key) is None
    revoked = events("civic.api_key_revoke").get()
    assert revoked.changes == {"is_active": [True, False]} and revoked.target_id == str(client.pk)
    with pytest.raises(DomainError) as caught:
        services.api_client_revoke(actor=officer, client=client)
    assert (caught.value.code, str(caught.value.message)) == (
        "already_revoked",
        "This key is already revoked.",
    )
    for event in AuditEvent.objects.all():
        assert key not in str(event.changes) + event.target_label + event.reason


@pytest.mark.parametrize(
    ("name", "where", "code", "field"),
    [
        ("  ", "230602", "required", "name"),
        ("热" * 81, "230602", "invalid", "name"),
        ("12345热线", "230603", "region_out_of_scope", "region"),
    ],
    ids=["no-name", "long-name", "out-of-scope"],
)
def test_a_bad_key_request_writes_nothing(personas, region, name, where, code, field):
    audits = events().count()
    with pytest.raises(DomainError) as caught:
        services.api_client_create(
            actor=personas["district_officer"], name=name, region=region(where)
        )
    assert (caught.value.code, caught.value.field) == (code, field)
    assert not ApiClient.objects.unscoped(reason="test").exists()
    assert events().count() == audits
