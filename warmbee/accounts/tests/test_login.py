"""Login, lockout without enumeration (R10), sessions (R12), MFA (R11), step-up (R13)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from conftest import PASSWORD
from warmbee.accounts.models import RecoveryCodeDevice, UserSession
from warmbee.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def login(client, phone, password):
    return client.post("/accounts/login/", {"phone": phone, "password": password})


def test_login_with_mobile_number_audits_and_rotates_session(client, make_user):
    user = make_user()
    client.get("/accounts/login/")
    before = client.cookies.get("warmbee_session")
    response = login(client, user.phone[3:], PASSWORD)  # typed without +86
    assert response.status_code == 302
    after = client.cookies["warmbee_session"].value
    assert before is None or before.value != after
    assert AuditEvent.objects.filter(action="auth.login", target_id=str(user.pk)).count() == 1
    assert UserSession.objects.filter(user=user).count() == 1


def test_wrong_password_and_unknown_phone_get_identical_responses(client, make_user):
    user = make_user()
    known = login(client, user.phone, "wrong-password-1")
    unknown = login(client, "13700001111", "wrong-password-1")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().replace(user.phone, "").replace("13700001111", "")  # noqa: E731
    assert (
        strip(known).split("csrfmiddlewaretoken")[0]
        == strip(unknown).split("csrfmiddlewaretoken")[0]
    )
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 2


def test_six_wrong_passwords_lock_and_unknown_phone_locks_alike(client, make_user):
    user = make_user()
    statuses = [login(client, user.phone, "wrong-password-1").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    # Locked: even the correct password is refused.
    assert login(client, user.phone, PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(action="auth.lockout", target_id=str(user.pk)).count() == 1
    for _ in range(5):
        login(client, "13700001111", "wrong-password-1")
    locked_unknown = login(client, "13700001111", "wrong-password-1")
    locked_known = login(client, user.phone, "wrong-password-1")
    assert locked_unknown.status_code == locked_known.status_code == 429
    assert locked_unknown.content.decode().split("csrfmiddlewaretoken")[
        0
    ] == locked_known.content.decode().split("csrfmiddlewaretoken")[0].replace(
        user.phone, "13700001111"
    )


def test_security_admin_unlocks(client, make_user, as_persona):
    user = make_user()
    for _ in range(6):
        login(client, user.phone, "wrong-password-1")
    admin = as_persona("security_admin")
    assert admin.post(f"/console/users/{user.pk}/unlock/").status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", target_id=str(user.pk)).exists()
    assert login(client, user.phone, PASSWORD).status_code == 302


def test_lockout_expires_after_cooloff(client, make_user):
    user = make_user()
    with freeze_time(timezone.now()) as frozen:
        for _ in range(6):
            login(client, user.phone, "wrong-password-1")
        assert login(client, user.phone, PASSWORD).status_code == 429
        frozen.tick(timedelta(minutes=16))
        assert login(client, user.phone, PASSWORD).status_code == 302


def test_logout_deletes_the_server_side_session(client, make_user):
    user = make_user()
    login(client, user.phone, PASSWORD)
    key = client.cookies["warmbee_session"].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["warmbee_session"] = key
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_staff_idle_timeout_and_absolute_lifetime(client, make_user):
    officer = make_user("district_officer")
    start = timezone.now()
    with freeze_time(start) as frozen:
        login(client, officer.phone, PASSWORD)
        assert client.get("/api/v1/accounts/me").status_code == 200
        frozen.tick(timedelta(minutes=31))
        response = client.get("/api/v1/accounts/me")
        assert response.status_code == 401
        assert response.json()["code"] == "session_expired"
    worker = make_user()
    with freeze_time(start) as frozen:
        login(client, worker.phone, PASSWORD)
        frozen.tick(timedelta(minutes=31))
        assert client.get("/api/v1/accounts/me").status_code == 200  # workers: no idle limit
        frozen.tick(timedelta(hours=12))
        assert client.get("/api/v1/accounts/me").status_code == 401


def test_disabling_an_account_ends_its_sessions(client, make_user, as_persona):
    user = make_user()
    login(client, user.phone, PASSWORD)
    officer = as_persona("district_officer")
    officer.post(f"/console/users/{user.pk}/disable/", {"reason": "left"})
    assert UserSession.objects.filter(user=user).count() == 0
    assert client.get("/api/v1/accounts/me").status_code == 401


def _enrol(client, user):
    client.get("/accounts/mfa/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/mfa/enrol/", {"token": str(totp(device.bin_key)).zfill(6)})
    assert response.status_code == 200
    return TOTPDevice.objects.get(user=user, confirmed=True), response.context["codes"]


def test_required_mfa_half_authenticated_staff_get_nothing(client, make_user, settings):
    settings.STAFF_MFA = "required"
    officer = make_user("district_officer")
    login(client, officer.phone, PASSWORD)
    assert client.get("/api/v1/accounts/users").status_code == 401
    assert client.get("/console/users/").status_code == 302
    assert client.get("/console/users/")["Location"] == "/accounts/mfa/"
    device, codes = _enrol(client, officer)
    assert client.get("/console/users/").status_code == 200
    # Next login: password alone is not enough.
    client.post("/accounts/logout/")
    login(client, officer.phone, PASSWORD)
    assert client.get("/api/v1/accounts/users").json()["code"] == "mfa_required"


def test_totp_code_cannot_be_replayed_and_recovery_codes_are_hashed(client, make_user):
    user = make_user("city_officer", "230600")
    login(client, user.phone, PASSWORD)
    device, codes = _enrol(client, user)
    stored = RecoveryCodeDevice.objects.get(user=user).code_hashes
    assert len(stored) == 10 and not set(codes) & set(stored)
    client.post("/accounts/logout/")
    login(client, user.phone, PASSWORD)
    with freeze_time(timezone.now() + timedelta(seconds=60)):
        device.refresh_from_db()
        code = str(totp(device.bin_key)).zfill(6)
        assert client.post("/accounts/mfa/", {"token": code}).status_code == 302
        client.post("/accounts/logout/")
        login(client, user.phone, PASSWORD)
        replay = client.post("/accounts/mfa/", {"token": code})
        assert replay.status_code == 200  # form shown again with the error
    assert client.post("/accounts/mfa/", {"token": codes[0]}).status_code == 302
    client.post("/accounts/logout/")
    login(client, user.phone, PASSWORD)
    assert client.post("/accounts/mfa/", {"token": codes[0]}).status_code == 200  # used once


def test_role_change_needs_recent_authentication(as_persona, make_user, personas):
    target = make_user()
    officer = as_persona("district_officer")
    session = officer.session
    session["_wb_auth_at"] = (timezone.now() - timedelta(minutes=6)).timestamp()
    session.save()
    response = officer.post(
        f"/console/users/{target.pk}/grants/", {"role": "station_host", "region": "230602"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauth/")
    assert not AuditEvent.objects.filter(action="role.grant").exists()
    officer.post("/accounts/reauth/", {"password": PASSWORD, "next": "/"})
    response = officer.post(
        f"/console/users/{target.pk}/grants/", {"role": "station_host", "region": "230602"}
    )
    assert AuditEvent.objects.filter(action="role.grant", target_id=str(target.pk)).count() == 1


def test_ip_throttle_spans_phone_numbers(client, make_user, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 3
    for i in range(3):
        login(client, f"1370000{i:04d}", "wrong-password-1")
    user = make_user()
    assert login(client, user.phone, PASSWORD).status_code == 429
