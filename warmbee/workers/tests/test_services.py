"""Worker services: validation, scope (R3), history, encrypted ID number with its index (R24)."""

from __future__ import annotations

import pytest
from django.db import connection

from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict, DomainError, NotFound
from warmbee.orgs.models import Outlet
from warmbee.workers import services
from warmbee.workers.models import Employment, Worker

ID = "11010519491231002X"


@pytest.fixture
def outlet(make_company, region):
    return Outlet.objects.create(company=make_company(), name="萨尔图网点", region=region("230602"))


def test_create_writes_worker_history_and_masked_audit(personas, outlet):
    worker = services.worker_create(
        actor=personas["district_officer"],
        name="单田芳",
        phone="13912345678",
        company=outlet.company,
        outlet=outlet,
    )
    assert worker.region_id == "230602"
    assert "shantianfang" in worker.name_pinyin.split()
    assert Employment.objects.unscoped(reason="test").filter(worker=worker).count() == 1
    event = AuditEvent.objects.get(action="worker.create")
    assert event.changes["phone"] == [None, "139****5678"]
    assert "13912345678" not in str(event.changes)


def test_create_outside_scope_writes_nothing(personas, make_company, region):
    other = Outlet.objects.create(company=make_company(), name="龙凤网点", region=region("230603"))
    with pytest.raises(DomainError) as exc:
        services.worker_create(
            actor=personas["district_officer"],
            name="李四",
            phone="13912345678",
            company=other.company,
            outlet=other,
        )
    assert exc.value.field == "region"
    assert Worker.objects.unscoped(reason="test").count() == 0
    assert AuditEvent.objects.filter(action="worker.create").count() == 0


def test_same_phone_in_one_company_is_refused(personas, outlet):
    kwargs = {"name": "王五", "phone": "13912345678", "company": outlet.company, "outlet": outlet}
    services.worker_create(actor=personas["district_officer"], **kwargs)
    with pytest.raises(Conflict) as exc:
        services.worker_create(actor=personas["district_officer"], **kwargs)
    assert exc.value.field == "phone"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "required"),
        ("110105491231002", "id_number_old"),
        ("110105194912310021", "invalid_id_number"),
    ],
    ids=["empty", "fifteen-digit", "bad-checksum"],
)
def test_bad_id_numbers_are_named(value, code):
    with pytest.raises(DomainError) as exc:
        services.clean_id_number(value)
    assert (exc.value.code, exc.value.field) == (code, "id_number")


def test_id_number_is_encrypted_at_rest_and_found_by_its_index(personas, make_worker):
    worker = make_worker()
    services.worker_set_id_number(
        actor=personas["district_officer"], worker=worker, id_number=ID, reason="aid"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_index FROM workers_worker")
        stored, index = cursor.fetchone()
    assert ID not in stored and stored.startswith("v1.")
    assert Worker.objects.unscoped(reason="test").get(pk=worker.pk).id_number == ID
    # Typed in lower case with spaces, the same number finds the same worker.
    found = Worker.objects.unscoped(reason="test").get(
        id_number_index=services.id_number_index(services.clean_id_number(" 110105 19491231002x"))
    )
    assert found.pk == worker.pk
    event = AuditEvent.objects.get(action="worker.set_id_number")
    assert ID not in str(event.changes) and event.reason == "aid"


def test_move_keeps_history_and_follows_the_outlet(personas, make_worker, make_company, region):
    worker = make_worker()
    new_outlet = Outlet.objects.create(
        company=make_company(), name="新网点", region=region("230602")
    )
    services.worker_move(
        actor=personas["district_officer"],
        worker=worker,
        company=new_outlet.company,
        outlet=new_outlet,
    )
    spells = Employment.objects.unscoped(reason="test").filter(worker=worker)
    assert spells.count() == 2
    assert spells.get(ended_on=None).outlet_id == new_outlet.pk
    assert Worker.objects.unscoped(reason="test").get(pk=worker.pk).outlet_id == new_outlet.pk


def test_move_to_another_district_needs_scope_over_it(personas, make_worker, make_company, region):
    worker = make_worker()
    far = Outlet.objects.create(company=make_company(), name="龙凤网点", region=region("230603"))
    with pytest.raises(DomainError):
        services.worker_move(
            actor=personas["district_officer"], worker=worker, company=far.company, outlet=far
        )
    assert Worker.objects.unscoped(reason="test").get(pk=worker.pk).outlet_id != far.pk


def test_other_district_cannot_update(personas, make_worker):
    worker = make_worker()
    with pytest.raises(NotFound):
        services.worker_update(actor=personas["other_district"], worker=worker, name="改名")


def test_demo_id_numbers_are_valid():
    import random

    from stdnum.cn import ric

    from warmbee.workers.demo import _id_number

    rng = random.Random(7)
    assert all(ric.is_valid(_id_number(rng, "230602")) for _ in range(200))
