"""Organisations and outlets: rules of the services, scope of the selectors, the demo."""

from __future__ import annotations

import pytest

from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict, DomainError
from warmbee.orgs import selectors, services
from warmbee.orgs.demo import credit_code
from warmbee.orgs.models import Organisation, OrgKind, Outlet

GOOD_CODE = "91110000600037341L"


def orgs():
    return Organisation.objects.unscoped(reason="test")


def test_create_company_with_credit_code(personas, region):
    org = services.organisation_create(
        actor=personas["district_officer"],
        kind=OrgKind.COMPANY,
        name="萨尔图快递",
        region=region("230602"),
        credit_code=" 91110000600037341l ",
    )
    assert org.credit_code == GOOD_CODE
    assert AuditEvent.objects.filter(action="org.create", target_id=str(org.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"credit_code": "91110000600037341X"}, "invalid_credit_code", "credit_code"),
        ({"category": "party_branch"}, "category_kind", "category"),
        ({"contact_phone": "12345"}, "invalid_phone", "contact_phone"),
    ],
    ids=["bad-credit-code", "category-of-another-kind", "bad-contact-mobile"],
)
def test_bad_organisation_input_is_named_and_writes_nothing(personas, region, fields, code, field):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        services.organisation_create(
            actor=personas["district_officer"],
            kind=OrgKind.COMPANY,
            name="坏数据公司",
            region=region("230602"),
            **fields,
        )
    assert (exc.value.code, exc.value.field) == (code, field)
    assert orgs().count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_duplicate_credit_code_is_a_conflict(personas, region):
    actor = personas["city_officer"]
    services.organisation_create(
        actor=actor, kind="company", name="甲", region=region("230602"), credit_code=GOOD_CODE
    )
    with pytest.raises(Conflict) as exc:
        services.organisation_create(
            actor=actor, kind="company", name="乙", region=region("230603"), credit_code=GOOD_CODE
        )
    assert exc.value.field == "credit_code"


def test_parent_of_the_wrong_kind_and_cycles_are_refused(personas, region):
    actor = personas["city_officer"]
    union = services.organisation_create(
        actor=actor, kind=OrgKind.UNION, name="总工会", region=region("230600")
    )
    with pytest.raises(DomainError) as exc:
        services.organisation_create(
            actor=actor, kind=OrgKind.COMPANY, name="某公司", region=region("230600"), parent=union
        )
    assert exc.value.code == "parent_kind"
    branch = services.organisation_create(
        actor=actor, kind=OrgKind.UNION, name="分会", region=region("230602"), parent=union
    )
    with pytest.raises(DomainError) as exc:
        services.organisation_update(actor=actor, org=union, parent=branch)
    assert exc.value.code == "parent_cycle"


def test_create_outside_scope_is_refused(personas, region):
    with pytest.raises(DomainError) as exc:
        services.organisation_create(
            actor=personas["district_officer"], kind="company", name="外区", region=region("230603")
        )
    assert exc.value.field == "region"
    assert orgs().count() == 0


def test_outlet_rules(personas, region, make_company):
    actor = personas["district_officer"]
    company = make_company(region="230602")
    party = services.organisation_create(
        actor=actor, kind=OrgKind.PARTY, name="联合支部", region=region("230602")
    )
    outlet = services.outlet_create(
        actor=actor,
        company=company,
        name="萨尔图营业部",
        region=region("230602"),
        party_org=party,
        manager_phone="13912345678",
    )
    assert outlet.manager_phone == "+8613912345678"
    event = AuditEvent.objects.get(action="outlet.create")
    assert "13912345678" not in str(event.changes)
    with pytest.raises(DomainError) as exc:
        services.outlet_create(
            actor=actor, company=company, name="错支部", region=region("230602"), union_branch=party
        )
    assert (exc.value.code, exc.value.field) == ("wrong_kind", "union_branch")
    with pytest.raises(DomainError) as exc:
        services.outlet_create(actor=actor, company=party, name="非企业", region=region("230602"))
    assert exc.value.field == "company"
    with pytest.raises(Conflict):
        services.outlet_create(
            actor=actor, company=company, name="萨尔图营业部", region=region("230602")
        )


def test_lists_are_scoped(personas, region, make_company):
    own = make_company(region="230602")
    sibling = make_company(region="230603")
    Outlet.objects.create(company=own, name="甲", region=region("230602"))
    Outlet.objects.create(company=sibling, name="乙", region=region("230603"))
    district = personas["district_officer"]
    assert [o.pk for o in selectors.org_list(actor=district)] == [own.pk]
    assert [o.name for o in selectors.outlet_list(actor=district)] == ["甲"]
    city = personas["city_officer"]
    assert selectors.outlet_list(actor=city).count() == 2
    assert selectors.outlet_list(actor=personas["courier"]).count() == 0


def test_outlet_list_has_a_fixed_number_of_queries(
    personas, region, make_company, django_assert_max_num_queries
):
    company = make_company(region="230602")
    for i in range(30):
        Outlet.objects.create(company=company, name=f"网点{i}", region=region("230602"))
    with django_assert_max_num_queries(3):
        rows = list(selectors.outlet_list(actor=personas["district_officer"]))
        [(o.company.name, o.region.name, o.worker_count) for o in rows]
    assert len(rows) == 30


def test_demo_credit_codes_pass_the_check():
    import random

    from stdnum.cn import uscc

    rng = random.Random(1)
    assert all(uscc.is_valid(credit_code(rng)) for _ in range(50))


@pytest.mark.django_db
def test_demo_builds_the_network_once():
    from warmbee.core.demo import DemoContext
    from warmbee.orgs import demo

    demo.build(DemoContext(city_code="230600"))
    outlets = Outlet.objects.unscoped(reason="test")
    assert outlets.count() == demo.OUTLETS
    assert orgs().filter(kind=OrgKind.COMPANY, parent__isnull=False).count() == 9
    assert orgs().filter(kind=OrgKind.PLATFORM).count() == 6
    covered = outlets.exclude(party_org=None).count()
    assert 0.15 * demo.OUTLETS < covered < 0.4 * demo.OUTLETS
    assert outlets.exclude(union_branch=None).count() > 0.8 * demo.OUTLETS
    demo.build(DemoContext(city_code="230600"))
    assert outlets.count() == demo.OUTLETS
