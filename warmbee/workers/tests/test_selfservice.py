"""Workers on their phones: one-time codes (R14), registration (R26), code login, consents
(R25), their data (R27), correction and deletion requests, SMS outages (R45)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.db import models
from freezegun import freeze_time

from warmbee.accounts.models import RoleAssignment, User
from warmbee.audit.models import AuditEvent
from warmbee.core.errors import Conflict
from warmbee.notify.models import OneTimeCode, SmsMessage
from warmbee.notify.sms import LocmemBackend
from warmbee.privacy import services as privacy
from warmbee.privacy.models import Consent, DataRequest
from warmbee.workers import mydata
from warmbee.workers.models import Worker


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "warmbee.notify.sms.LocmemBackend"
    LocmemBackend.outbox = []


@pytest.fixture
def notices(db):
    for purpose in ("registry", "health"):
        privacy.notice_publish(
            actor=None, purpose=purpose, title=f"{purpose} 告知", body="告知内容"
        )


def last_code() -> str:
    return LocmemBackend.outbox[-1][2]["code"]


def form(registry, **extra):
    return {
        "name": "新骑手",
        "phone": "13700001234",
        "company": registry["sf"].pk,
        "outlet": registry["sf_own"].pk,
        "kind": "courier",
        "agree": "on",
        **extra,
    }


def users():
    """Accounts of the number registering in these tests."""
    return User.objects.unscoped(reason="test").filter(phone="+8613700001234")


def test_register_with_a_code(client, registry, notices):
    assert client.post("/register/", form(registry, action="send")).status_code == 200
    assert LocmemBackend.outbox[-1][:2] == ("+8613700001234", "otp_register")
    response = client.post("/register/", form(registry, action="register", code=last_code()))
    assert response.status_code == 302
    user = users().get()
    worker = Worker.objects.unscoped(reason="test").get(user=user)
    assert (worker.outlet_id, worker.source, worker.region_id) == (
        registry["sf_own"].pk,
        "self",
        "230602",
    )
    assert RoleAssignment.objects.unscoped(reason="test").filter(user=user, role="worker").exists()
    consent = Consent.objects.unscoped(reason="test").get(user=user, purpose="registry")
    assert consent.notice.version == 1 and consent.channel == "web"
    assert not user.has_usable_password()
    # The SMS outbox does not keep the code once delivered.
    assert "code" not in SmsMessage.objects.get().params


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"outlet": ""}, "outlet"),
        ({"agree": ""}, "agree"),
        ({"code": "000000"}, "code"),
    ],
    ids=["no-name", "bad-mobile", "no-outlet", "no-consent", "wrong-code"],
)
def test_bad_registration_names_the_field_and_writes_nothing(
    client, registry, notices, change, field
):
    client.post("/register/", form(registry, action="send"))
    code = last_code()
    data = form(registry, action="register", code=code if code != "000000" else "111111")
    data.update(change)
    response = client.post("/register/", data)
    assert response.status_code in (400, 409)
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert users().count() == 0
    assert not Worker.objects.unscoped(reason="test").filter(phone="+8613700001234").exists()


def test_registration_links_the_roster_record(client, registry, notices, personas):
    from warmbee.workers.services import worker_create

    imported = worker_create(
        actor=personas["district_officer"],
        name="老骑手",
        phone="13700001234",
        company=registry["sf"],
        outlet=registry["sf_own"],
    )
    client.post("/register/", form(registry, action="send", name="老骑手"))
    client.post("/register/", form(registry, action="register", name="老骑手", code=last_code()))
    assert Worker.objects.unscoped(reason="test").count() == 1
    imported.refresh_from_db()
    assert imported.user.phone == "+8613700001234"


def test_second_code_within_a_minute_is_refused(client, registry, notices):
    assert client.post("/register/", form(registry, action="send")).status_code == 200
    assert client.post("/register/", form(registry, action="send")).status_code == 429
    assert len(LocmemBackend.outbox) == 1


def test_sixth_guess_is_refused_even_when_right(client, registry, notices):
    client.post("/register/", form(registry, action="send"))
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post("/register/", form(registry, action="register", code=wrong))
    response = client.post("/register/", form(registry, action="register", code=code))
    assert response.status_code == 400 and users().count() == 0


def test_expired_code_is_refused(client, registry, notices):
    with freeze_time("2026-12-01 10:00:00"):
        client.post("/register/", form(registry, action="send"))
        code = last_code()
    with freeze_time("2026-12-01 10:05:01"):
        response = client.post("/register/", form(registry, action="register", code=code))
    assert response.status_code == 400 and users().count() == 0


def test_code_is_bound_to_the_browser_that_asked(client, registry, notices):
    from django.test import Client

    client.post("/register/", form(registry, action="send"))
    other = Client()
    response = other.post("/register/", form(registry, action="register", code=last_code()))
    assert response.status_code == 400 and users().count() == 0


def test_code_login_for_workers_but_not_staff(client, personas):
    courier = personas["courier"]
    client.post("/login/code/", {"phone": courier.phone, "action": "send"})
    response = client.post("/login/code/", {"phone": courier.phone, "code": last_code()})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(courier.pk)
    officer = personas["district_officer"]
    from django.test import Client

    staff = Client()
    staff.post("/login/code/", {"phone": officer.phone, "action": "send"})
    response = staff.post("/login/code/", {"phone": officer.phone, "code": last_code()})
    assert response.status_code == 400 and "_auth_user_id" not in staff.session


def test_unknown_numbers_get_the_same_answer(client, personas):
    known = client.post("/login/code/", {"phone": personas["courier"].phone, "action": "send"})
    from django.test import Client

    unknown = Client().post("/login/code/", {"phone": "13788889999", "action": "send"})
    assert known.status_code == unknown.status_code == 200


def test_sms_gateway_down_keeps_the_message_queued(client, registry, notices, settings):
    settings.SMS_BACKEND = "warmbee.notify.tests.broken.Backend"
    response = client.post("/register/", form(registry, action="send"))
    assert response.status_code == 200
    message = SmsMessage.objects.get()
    assert (message.status, message.attempts) == ("queued", 1)
    assert "gateway" in message.last_error
    settings.SMS_BACKEND = "warmbee.notify.sms.LocmemBackend"
    from warmbee.notify.sms import retry_queued

    assert retry_queued() == 1
    message.refresh_from_db()
    assert message.status == "sent"


def test_consent_withdraw_and_version_bump(personas, notices):
    courier = personas["courier"]
    with pytest.raises(Conflict) as exc:
        privacy.require_consent(courier, "health")
    assert exc.value.status == 409 and exc.value.code == "consent_required"
    privacy.consent_give(actor=courier, user=courier, purpose="health")
    privacy.require_consent(courier, "health")
    privacy.consent_withdraw(actor=courier, user=courier, purpose="health")
    with pytest.raises(Conflict):
        privacy.require_consent(courier, "health")
    privacy.consent_give(actor=courier, user=courier, purpose="health")
    privacy.notice_publish(actor=None, purpose="health", title="体检告知 v2", body="新的告知内容")
    with pytest.raises(Conflict):
        privacy.require_consent(courier, "health")
    assert AuditEvent.objects.filter(action="privacy.withdraw").count() == 1


def test_privacy_page_withdraw_and_consent(as_persona, personas, notices):
    client = as_persona("courier")
    client.post("/me/privacy/change/", {"purpose": "health", "action": "give"})
    privacy.require_consent(personas["courier"], "health")
    client.post("/me/privacy/change/", {"purpose": "health", "action": "withdraw"})
    with pytest.raises(Conflict):
        privacy.require_consent(personas["courier"], "health")


def _models_pointing_at(model):
    for m in apps.get_models():
        for f in m._meta.concrete_fields:
            if (
                isinstance(f, models.ForeignKey)
                and f.related_model is model
                and not f.name.endswith("by")
            ):
                yield m, f


def test_download_holds_every_row_about_the_person(
    as_persona, personas, make_worker, notices, registry
):
    """R27: every model with a foreign key to the account or the worker is in the export."""
    from warmbee.workers.models import Certificate, Employment, Insurance, UnionMembership

    courier = personas["courier"]
    worker = make_worker(user=courier)
    UnionMembership.objects.create(worker=worker, branch=registry["union"], joined_on="2025-01-01")
    Insurance.objects.create(
        worker=worker, kind="accident", insurer="人保", starts_on="2025-01-01", paid_by="union"
    )
    Certificate.objects.create(
        worker=worker, name="快递员", issuer="鉴定中心", issued_on="2025-06-01"
    )
    privacy.consent_give(actor=courier, user=courier, purpose="health")
    privacy.data_request_create(actor=courier, kind="correction", details="工号错了")
    client = as_persona("courier")
    response = client.get("/me/data.json")
    data = json.loads(response.content)
    for model, field in [*_models_pointing_at(User), *_models_pointing_at(Worker)]:
        label = model._meta.label_lower
        if label in mydata.EXCLUDED_MODELS:
            continue
        manager = model._default_manager
        qs = manager.get_queryset()
        qs = qs.unscoped(reason="test") if hasattr(qs, "unscoped") else qs
        owner = courier if field.related_model is User else worker
        for pk in qs.filter(**{field.name: owner}).values_list("pk", flat=True):
            assert pk in {row["id"] for row in data.get(label, [])}, (label, pk)
    assert {
        "workers.employment",
        "workers.insurance",
        "privacy.consent",
        "privacy.datarequest",
    } <= set(data)
    assert "password" not in data["accounts.user"][0]
    csv_text = client.get("/me/data.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "table,row,field,value" and "workers.insurance" in csv_text
    assert AuditEvent.objects.filter(action="privacy.download").count() == 2
    assert Employment.objects.unscoped(reason="test").filter(worker=worker).exists()


def test_deletion_request_erases_personal_data_but_keeps_rows(
    as_persona, personas, make_worker, notices
):
    courier = personas["courier"]
    worker = make_worker(user=courier)
    client = as_persona("courier")
    client.post("/me/requests/", {"kind": "deletion", "details": "不再从事"})
    request = DataRequest.objects.unscoped(reason="test").get()
    assert request.due_at - request.created_at == dt.timedelta(days=15)
    officer = as_persona("district_officer")
    response = officer.post(f"/console/data-requests/{request.pk}/handle/", {"status": "done"})
    assert response.status_code == 302
    worker.refresh_from_db()
    courier.refresh_from_db()
    assert (worker.name, worker.status, worker.id_number) == ("已删除", "erased", "")
    assert not courier.is_active and courier.name == "已删除"
    assert Worker.objects.unscoped(reason="test").filter(pk=worker.pk).exists()
    assert LocmemBackend.outbox[-1][1] == "data_request_done"


def test_refusal_needs_a_reason(as_persona, personas):
    courier = personas["courier"]
    privacy.data_request_create(actor=courier, kind="deletion", details="")
    request = DataRequest.objects.unscoped(reason="test").get()
    officer = as_persona("district_officer")
    officer.post(f"/console/data-requests/{request.pk}/handle/", {"status": "refused"})
    request.refresh_from_db()
    assert request.status == "open"
    officer.post(
        f"/console/data-requests/{request.pk}/handle/",
        {"status": "refused", "response": "仍在领取补贴，依法保存至发放结束"},
    )
    request.refresh_from_db()
    assert request.status == "refused"


def test_no_code_is_stored_in_clear(client, registry, notices):
    client.post("/register/", form(registry, action="send"))
    code = last_code()
    stored = OneTimeCode.objects.get()
    assert code not in stored.code_hash and code not in stored.nonce
