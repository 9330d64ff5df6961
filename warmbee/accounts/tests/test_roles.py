"""Grants, separation of duties (R6), scope on writes (R3), account services."""

import pytest
from django.db import IntegrityError, transaction

from warmbee.accounts import services
from warmbee.accounts.models import RoleAssignment, User
from warmbee.accounts.roles import Role
from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict, DomainError, Forbidden, NotFound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("first", [Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN])
@pytest.mark.parametrize(
    "second", [Role.AUDITOR, Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.CITY_OFFICER]
)
def test_separated_roles_cannot_be_combined(first, second, make_user, personas, region):
    user = make_user(first, "230600")
    admin = personas["security_admin"]
    with pytest.raises(Conflict) as exc:
        services.role_grant(actor=admin, user=user, role=second, region=region("230600"))
    assert exc.value.code in {"separation_of_duties", "duplicate_grant"}
    assert sorted(user.roles) == [first]


def test_database_refuses_a_second_separated_role(make_user, region):
    user = make_user(Role.AUDITOR, "230600")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.SYSTEM_ADMIN, region=region("230600"))


def test_officer_cannot_grant_above_their_level_or_outside_scope(personas, make_user, region):
    officer = personas["district_officer"]
    target = make_user()
    with pytest.raises(Forbidden) as exc:
        services.role_grant(
            actor=officer, user=target, role=Role.DISTRICT_OFFICER, region=region("230602")
        )
    assert exc.value.code == "role_not_grantable"
    with pytest.raises(DomainError) as exc:
        services.role_grant(
            actor=officer, user=target, role=Role.STATION_HOST, region=region("230603")
        )
    assert exc.value.code == "region_out_of_scope"
    stranger = make_user(region="230603")
    with pytest.raises(NotFound):
        services.role_grant(
            actor=officer, user=stranger, role=Role.STATION_HOST, region=region("230602")
        )
    assert (
        not RoleAssignment.objects.unscoped(reason="t")
        .filter(user__in=[target, stranger], role=Role.STATION_HOST)
        .exists()
    )


def test_role_must_fit_the_region_level(personas, make_user, region):
    with pytest.raises(DomainError) as exc:
        services.role_grant(
            actor=personas["city_officer"],
            user=make_user(),
            role=Role.DISTRICT_OFFICER,
            region=region("230602013"),
        )
    assert exc.value.code == "role_level" and exc.value.field == "region"


def test_nobody_changes_their_own_roles(personas, region):
    admin = personas["security_admin"]
    with pytest.raises(Forbidden):
        services.role_grant(
            actor=admin, user=admin, role=Role.CITY_OFFICER, region=region("230600")
        )


def test_moving_an_account_needs_both_regions(personas, make_user, region):
    officer = personas["district_officer"]
    user = make_user()
    with pytest.raises(DomainError) as exc:
        services.user_update(actor=officer, user=user, region=region("230603"))
    assert exc.value.code == "region_out_of_scope"
    user.refresh_from_db()
    assert user.region_id == "230602"
    services.user_update(actor=personas["city_officer"], user=user, region=region("230603"))
    user.refresh_from_db()
    assert user.region_id == "230603"
    event = AuditEvent.objects.get(action="user.update", target_id=str(user.pk))
    assert event.changes == {"region": ["230602", "230603"]}


def test_created_accounts_have_no_usable_password(personas, region):
    user = services.user_create(
        actor=personas["district_officer"],
        phone="139 1234 5670",
        name="王五",
        region=region("230602"),
        role=Role.WORKER,
    )
    assert user.phone == "+8613912345670"
    assert not user.has_usable_password()
    assert user.roles == {Role.WORKER}


@pytest.mark.parametrize(
    ("phone", "code"),
    [("12345", "invalid_phone"), ("01012345678", "invalid_phone"), ("", "required")],
)
def test_bad_phone_is_refused_with_the_field_named(personas, region, phone, code):
    before = User.objects.unscoped(reason="t").count()
    with pytest.raises(DomainError) as exc:
        services.user_create(
            actor=personas["district_officer"], phone=phone, name="王五", region=region("230602")
        )
    assert (exc.value.code, exc.value.field) == (code, "phone")
    assert User.objects.unscoped(reason="t").count() == before


def test_duplicate_phone_is_a_conflict(personas, region, make_user):
    existing = make_user()
    with pytest.raises(Conflict) as exc:
        services.user_create(
            actor=personas["district_officer"],
            phone=existing.phone,
            name="王五",
            region=region("230602"),
        )
    assert exc.value.field == "phone"


def test_console_create_shows_errors_on_the_form_and_writes_nothing(as_persona):
    client = as_persona("district_officer")
    before = User.objects.unscoped(reason="t").count()
    response = client.post(
        "/console/users/new/", {"phone": "123", "name": "王五", "region": "230602"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert User.objects.unscoped(reason="t").count() == before
    response = client.post(
        "/console/users/new/", {"phone": "13912345671", "name": "王五", "region": "230603"}
    )
    assert "region" in response.context["form"].errors  # sibling district is not offered
    assert User.objects.unscoped(reason="t").count() == before


def test_api_create_rejects_unknown_fields_and_out_of_scope(as_persona):
    client = as_persona("district_officer")
    response = client.post(
        "/api/v1/accounts/users",
        {"phone": "13912345672", "name": "王五", "region": "230602", "is_active": False},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "is_active"
    response = client.post(
        "/api/v1/accounts/users",
        {"phone": "13912345672", "name": "王五", "region": "230603"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "region_out_of_scope",
        "field": "region",
        "message": response.json()["message"],
    }


def test_activation_link_sets_password_once(client, personas, region):
    user = services.user_create(
        actor=personas["district_officer"],
        phone="13912345673",
        name="王五",
        region=region("230602"),
    )
    path = services.activation_path(user)
    assert client.get(path).status_code == 200
    weak = client.post(path, {"password": "short", "password2": "short"})
    assert weak.context["form"].errors
    ok = client.post(path, {"password": "Long-enough-pass-1", "password2": "Long-enough-pass-1"})
    assert ok.status_code == 302
    assert client.get(path).status_code == 404  # used


def test_idle_staff_are_disabled(make_user, settings):
    from datetime import timedelta

    from django.utils import timezone

    officer = make_user(Role.DISTRICT_OFFICER, "230602")
    worker = make_user()
    later = timezone.now() + timedelta(days=settings.STAFF_DISABLE_AFTER_DAYS + 1)
    disabled = services.disable_idle_staff(now=later)
    assert disabled == [officer.pk]
    assert User.objects.unscoped(reason="t").get(pk=worker.pk).is_active
