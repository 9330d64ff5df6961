"""Record services: union membership, insurance, certificates, honours (ported from the
registry helper's branch, adapted to this suite's fixtures)."""

from __future__ import annotations

import datetime as dt

import pytest

from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound
from warmbee.orgs.models import Organisation, OrgKind
from warmbee.workers import services
from warmbee.workers.models import Certificate, Insurance, UnionMembership

D = dt.date


def _count(model):
    return model.objects.unscoped(reason="test").count()


@pytest.fixture
def add_worker(personas, registry):
    import itertools

    from conftest import next_phone

    counter = itertools.count()

    def make(outlet_key: str = "sf_own"):
        outlet = registry[outlet_key]
        return services.worker_create(
            actor=personas["city_officer"],
            name="张三",
            phone=next_phone(),
            company=outlet.company,
            outlet=outlet,
            employee_no=f"E{next(counter)}",
        )

    return make


def test_union_join_leave_transfer(personas, add_worker, registry, region):
    officer = personas["district_officer"]
    other = Organisation.objects.create(
        kind=OrgKind.UNION, name="萨尔图区总工会", region=region("230602")
    )
    w = add_worker()
    services.union_join(actor=officer, worker=w, branch=other, joined_on=D(2024, 1, 1))
    with pytest.raises(Conflict) as exc:
        services.union_join(
            actor=officer, worker=w, branch=registry["union"], joined_on=D(2024, 2, 1)
        )
    assert exc.value.code == "already_member"
    with pytest.raises(DomainError) as exc:
        services.union_transfer(actor=officer, worker=w, branch=registry["union"], on=D(2023, 1, 1))
    assert (exc.value.code, exc.value.field) == ("date_order", "on")
    services.union_transfer(actor=officer, worker=w, branch=registry["union"], on=D(2024, 6, 1))
    rows = list(
        UnionMembership.objects.unscoped(reason="test")
        .order_by("joined_on")
        .values_list("status", "ended_on")
    )
    assert rows == [("transferred", D(2024, 6, 1)), ("member", None)]
    services.union_leave(actor=officer, worker=w, on=D(2024, 7, 1))
    with pytest.raises(DomainError) as exc:
        services.union_leave(actor=officer, worker=w, on=D(2024, 8, 1))
    assert exc.value.code == "not_a_member"
    actions = list(
        AuditEvent.objects.filter(action__startswith="worker.union")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["worker.union_join", "worker.union_transfer", "worker.union_leave"]


def test_union_branch_must_be_a_union_in_scope(personas, add_worker, registry, region):
    officer = personas["district_officer"]
    w = add_worker()
    before = AuditEvent.objects.count()
    sibling = Organisation.objects.create(
        kind=OrgKind.UNION, name="龙凤区总工会", region=region("230603")
    )
    far = Organisation.objects.create(
        kind=OrgKind.UNION, name="道里区总工会", region=region("230102")
    )
    for branch, code in [
        (registry["sf"], "not_a_union"),
        (registry["party"], "not_a_union"),
        (sibling, "org_out_of_scope"),
        (far, "org_out_of_scope"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.union_join(actor=officer, worker=w, branch=branch, joined_on=D(2024, 1, 1))
        assert (exc.value.code, exc.value.field) == (code, "branch")
    with pytest.raises(DomainError) as exc:
        services.union_join(
            actor=officer,
            worker=w,
            branch=registry["union"],
            joined_on=dt.date.today() + dt.timedelta(days=2),
        )
    assert exc.value.code == "future_date"
    assert _count(UnionMembership) == 0 and AuditEvent.objects.count() == before


def test_records_refuse_workers_out_of_scope_and_readers(personas, add_worker):
    w = add_worker("zt_sibling")
    with pytest.raises(NotFound):
        services.honour_add(
            actor=personas["district_officer"],
            worker=w,
            title="劳动模范",
            level="city",
            awarded_by="市政府",
            awarded_on=D(2024, 1, 1),
        )
    for persona in ("community_officer", "party_officer", "auditor"):
        with pytest.raises(Forbidden):
            services.insurance_add(
                actor=personas[persona],
                worker=w,
                kind="accident",
                insurer="人保",
                starts_on=D(2024, 1, 1),
                paid_by="company",
            )
    assert _count(Insurance) == 0


def test_insurance_add_and_end(personas, add_worker):
    officer = personas["district_officer"]
    w = add_worker()
    with pytest.raises(DomainError) as exc:
        services.insurance_add(
            actor=officer,
            worker=w,
            kind="accident",
            insurer="人保",
            starts_on=D(2024, 5, 1),
            ends_on=D(2024, 4, 1),
            paid_by="company",
        )
    assert (exc.value.code, exc.value.field) == ("date_order", "ends_on")
    with pytest.raises(DomainError) as exc:
        services.insurance_add(
            actor=officer,
            worker=w,
            kind="bogus",
            insurer="人保",
            starts_on=D(2024, 5, 1),
            paid_by="company",
        )
    assert exc.value.field == "kind"
    ins = services.insurance_add(
        actor=officer,
        worker=w,
        kind="work_injury",
        insurer="人保",
        starts_on=D(2024, 5, 1),
        paid_by="platform",
    )
    with pytest.raises(DomainError) as exc:
        services.insurance_end(actor=officer, worker=w, insurance_id=ins.pk, on=D(2024, 1, 1))
    assert exc.value.code == "date_order"
    services.insurance_end(actor=officer, worker=w, insurance_id=ins.pk, on=D(2024, 12, 31))
    ins.refresh_from_db()
    assert ins.ends_on == D(2024, 12, 31)
    with pytest.raises(NotFound):
        services.insurance_end(
            actor=officer, worker=add_worker(), insurance_id=ins.pk, on=D(2024, 12, 1)
        )


def test_certificate_subsidy_in_yuan_becomes_fen(personas, add_worker):
    officer = personas["district_officer"]
    w = add_worker()
    cert = services.certificate_add(
        actor=officer,
        worker=w,
        name="快递员",
        level="四级",
        issuer="鉴定中心",
        issued_on=D(2024, 5, 1),
        subsidy_claimed=True,
        subsidy_yuan="1,500.50",
    )
    assert cert.subsidy_fen == 150050
    for value in ("abc", "-1", "1.234"):
        with pytest.raises(DomainError) as exc:
            services.certificate_update(
                actor=officer, worker=w, certificate_id=cert.pk, subsidy_yuan=value
            )
        assert (exc.value.code, exc.value.field) == ("invalid_amount", "subsidy_yuan")
    services.certificate_update(
        actor=officer, worker=w, certificate_id=cert.pk, subsidy_claimed=False
    )
    cert.refresh_from_db()
    assert (cert.subsidy_claimed, cert.subsidy_fen) == (False, 0)
    with pytest.raises(DomainError) as exc:
        services.certificate_add(
            actor=officer,
            worker=w,
            name="快递员",
            issuer="x",
            issued_on=D(2024, 5, 1),
            subsidy_yuan="100",
        )
    assert exc.value.code == "subsidy_not_claimed"
    assert _count(Certificate) == 1
    assert AuditEvent.objects.filter(action__startswith="worker.certificate").count() == 2
