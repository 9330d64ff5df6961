import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from warmbee.accounts import services
from warmbee.audit import services as audit_services
from warmbee.audit.guard import maintenance
from warmbee.audit.models import AuditEvent
from warmbee.audit.selectors import verify_chain
from warmbee.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas(make_user):
    """Accounts made through the operator service: each leaves an audit row to chain."""
    from conftest import PERSONAS

    return {
        name: make_user(role, region, name=f"{name}人") for name, (role, region) in PERSONAS.items()
    }


def test_record_chains_each_row_to_the_previous(personas):
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= len(personas)
    for prev, row in zip(events, events[1:], strict=False):
        assert row.prev_hash == prev.hash
    count, problem = verify_chain()
    assert problem is None and count == len(events)
    call_command("verify_audit_chain")


def test_orm_update_and_delete_are_refused(personas):
    event = AuditEvent.objects.first()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        event.delete()
    event.action = "tampered"
    with pytest.raises(TypeError):
        event.save()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(personas, sql):
    event = AuditEvent.objects.order_by("id").first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def _tamper(sql, params):
    with maintenance(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_tampering_one_row_is_named_by_verify(personas):
    events = list(AuditEvent.objects.order_by("id"))
    victim = events[len(events) // 2]
    _tamper("UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=f"#{victim.pk}"):
        call_command("verify_audit_chain")


def test_deleting_a_row_breaks_the_chain_at_the_next(personas):
    events = list(AuditEvent.objects.order_by("id"))
    victim = events[3]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    count, problem = verify_chain()
    assert problem.event_id == events[4].pk
    assert count == 3


def test_audit_failure_fails_the_action(personas, monkeypatch):
    """R20: when the audit row cannot be written, the change is not committed either."""
    officer = personas["district_officer"]

    def broken(**kwargs):
        raise DatabaseError("audit storage unavailable")

    monkeypatch.setattr(services, "record", broken)
    before = AuditEvent.objects.count()
    from warmbee.accounts.models import User

    users_before = User.objects.unscoped(reason="test").count()
    with pytest.raises(DatabaseError):
        services.user_create(
            actor=officer, phone="13912340000", name="甲", region=Region.objects.get(code="230602")
        )
    assert User.objects.unscoped(reason="test").count() == users_before
    assert AuditEvent.objects.count() == before


def test_audit_row_has_context_fields(personas, client):
    from warmbee.core import context

    token = context.bind(
        context.RequestContext(request_id="req-12345678", ip="10.1.2.3", channel="web")
    )
    try:
        with transaction.atomic():
            event = audit_services.record(
                actor=personas["city_officer"],
                action="test.thing",
                target=personas["courier"],
                region=personas["courier"].region,
            )
    finally:
        context.reset(token)
    assert event.actor_id == personas["city_officer"].pk
    assert event.actor_roles == "city_officer@230600"
    assert (event.target_type, event.target_id) == ("accounts.user", str(personas["courier"].pk))
    assert event.region_id == "230602"
    assert (event.ip, event.request_id) == ("10.1.2.3", "req-12345678")
    assert "****" in event.target_label  # the mobile number is masked in the audit row


def test_auditor_reads_filtered_events_in_console(as_persona, personas):
    client = as_persona("auditor")
    response = client.get("/console/audit/", {"action": "user.create"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows and all(r.action.startswith("user.create") for r in rows)
    # Events of another province are not shown to a Daqing auditor.
    harbin = [r for r in rows if r.region_id and not r.region_id.startswith("2306")]
    assert harbin == []
    bad = client.get("/console/audit/", {"region_code": "abc"})
    assert "6" in bad.content.decode()  # the form explains the rule
