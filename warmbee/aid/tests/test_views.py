"""The pages end to end: a courier applies on the phone, two officers approve in two steps, a
third pays once; a direct POST to a later state is 409; maker-checker refusals are 403 pages."""

from __future__ import annotations

from django.urls import reverse

from warmbee.aid.models import AidApplication, Disbursement

from .conftest import jpeg


def _app():
    return AidApplication.objects.unscoped(reason="test").get()


def test_apply_review_approve_pay_through_the_pages(as_persona, programme, applicant, notices):
    courier = as_persona("courier")
    page = courier.get(reverse("aid:me_programmes"))
    assert page.status_code == 200 and "技能取证补贴" in page.content.decode()
    url = reverse("aid:me_apply", args=[programme.pk])
    # Bad input: a clear error, nothing written.
    bad = courier.post(url, {"amount": "3000", "consent_financial": "on", "e_certificate": jpeg()})
    assert bad.status_code == 400 and not AidApplication.objects.unscoped(reason="t").exists()
    assert "1,000.00" in bad.content.decode() or "1000" in bad.content.decode()
    done = courier.post(url, {"amount": "1500", "consent_financial": "on", "e_certificate": jpeg()})
    assert done.status_code == 302
    app = _app()
    assert app.amount_fen == 150_000

    act = lambda who, action, **data: as_persona(who).post(  # noqa: E731
        reverse("aid:console_application_act", args=[app.pk, action]), data
    )
    assert act("city_officer", "disburse", idempotency_key="skip-ahead-1").status_code == 409
    assert act("district_officer", "review").status_code == 302
    assert act("district_officer", "approve").status_code == 403  # took step one already
    assert act("city_officer", "approve").status_code == 302
    assert act("city_officer", "disburse", idempotency_key="pay-once-0001").status_code == 403
    assert act("district_officer", "disburse", idempotency_key="pay-once-0001").status_code == 302
    assert act("district_officer", "disburse", idempotency_key="pay-once-0001").status_code == 302
    assert act("province_officer", "disburse", idempotency_key="pay-other-01").status_code == 409
    assert Disbursement.objects.unscoped(reason="t").count() == 1
    mine = courier.get(reverse("aid:me_application", args=[app.pk]))
    assert mine.status_code == 200 and _app().status == "disbursed"
    # The other district's officer does not see it.
    assert (
        as_persona("other_district")
        .get(reverse("aid:console_application", args=[app.pk]))
        .status_code
        == 404
    )


def test_console_pages_render(as_persona, approved, django_assert_max_num_queries):
    client = as_persona("city_officer")
    for url in [
        reverse("aid:console_programmes"),
        reverse("aid:console_figures"),
        reverse("aid:console_programme", args=[approved.programme_id]),
        reverse("aid:console_application", args=[approved.pk]),
        reverse("aid:console_programme_new"),
        reverse("aid:console_enter", args=[approved.programme_id]),
    ]:
        with django_assert_max_num_queries(40):
            assert client.get(url).status_code == 200, url


def test_programme_form_creates_a_draft(as_persona):
    client = as_persona("city_officer")
    response = client.post(
        reverse("aid:console_programme_new"),
        {
            "name": "金秋助学", "kind": "education", "region": "230600", "cycle": "2026",
            "opens_on": "2026-09-01", "closes_on": "2026-10-31", "budget": "100000",
            "benefit": "fixed", "amount": "1000", "steps": "county_city", "union_months": "6",
            "questions": '[{"key": "school", "label": "学校", "child": true}]',
        },
    )  # fmt: skip
    assert response.status_code == 302
    bad = client.post(reverse("aid:console_programme_new"), {"name": "x", "budget": "-1"})
    assert bad.status_code == 400


def test_payment_list_needs_a_second_officer_and_is_masked(as_persona, approved, personas):
    from warmbee.aid.models import PaymentList

    client = as_persona("district_officer")
    assert (
        client.post(
            reverse("aid:console_payment_list_new", args=[approved.programme_id]),
            {"reason": "发放"},
        ).status_code
        == 302
    )
    item = PaymentList.objects.unscoped(reason="t").get()
    assert (
        client.post(reverse("aid:console_payment_list_approve", args=[item.pk])).status_code == 403
    )
    assert (
        client.get(reverse("aid:console_payment_list_download", args=[item.pk])).status_code == 403
    )
    city = as_persona("city_officer")
    assert city.post(reverse("aid:console_payment_list_approve", args=[item.pk])).status_code == 302
    assert city.get(reverse("aid:console_payment_list_download", args=[item.pk])).status_code == 404
    response = client.get(reverse("aid:console_payment_list_download", args=[item.pk]))
    assert response.status_code == 200
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[1][1].endswith("*") or "*" in rows[1][1]  # masked name
    assert "*" in rows[1][2]  # masked mobile
    assert "导出人" in str(rows[-1][0]) or "Exported by" in str(rows[-1][0])


def test_expired_payment_lists_are_deleted(as_persona, approved, personas, settings):
    import datetime as dt
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from warmbee.aid import services
    from warmbee.aid.models import PaymentList

    item = services.payment_list_request(
        actor=personas["district_officer"], programme=approved.programme, reason="发放"
    )
    item = services.payment_list_approve(actor=personas["city_officer"], item=item)
    path = settings.MEDIA_ROOT / item.file
    assert path.exists()
    assert services.payment_lists_purge(now=timezone.now()) == 0
    PaymentList.objects.unscoped(reason="t").filter(pk=item.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    out = io.StringIO()
    call_command("purge_payment_lists", stdout=out)
    assert "1 payment list" in out.getvalue() and not path.exists()
    client = as_persona("district_officer")
    response = client.get(reverse("aid:console_payment_list_download", args=[item.pk]))
    assert response.status_code == 410


def test_staff_enter_for_a_worker_by_mobile(as_persona, programme, make_worker):
    worker = make_worker("230602", phone="+8613900001111")
    client = as_persona("district_officer")
    url = reverse("aid:console_enter", args=[programme.pk])
    missing = client.post(url, {"mobile": "13900002222", "amount": "1000", "consent_paper": "on",
                                "e_certificate": jpeg()})  # fmt: skip
    assert missing.status_code == 400 and not AidApplication.objects.unscoped(reason="t").exists()
    no_consent = client.post(
        url, {"mobile": "13900001111", "amount": "1000", "e_certificate": jpeg()}
    )
    assert no_consent.status_code == 409
    done = client.post(url, {"mobile": "13900001111", "amount": "1000", "consent_paper": "on",
                             "e_certificate": jpeg()})  # fmt: skip
    assert done.status_code == 302
    app = _app()
    assert (app.worker_id, app.channel, app.entered_by_id) == (
        worker.pk,
        "staff",
        done.wsgi_request.user.pk,
    )
    page = client.get(reverse("aid:console_application", args=[app.pk]))
    assert page.context["may_review"] is False  # the officer who entered it
    assert (
        as_persona("city_officer")
        .get(reverse("aid:console_application", args=[app.pk]))
        .context["may_review"]
        is True
    )


def test_a_bad_amount_is_a_message_and_changes_nothing(as_persona, submit, programme, personas):
    from warmbee.aid import services
    from warmbee.audit.models import AuditEvent

    city = as_persona("city_officer")
    amount_error = ["请填写以元为单位的金额，如 1500 或 1500.50。"]
    before = AuditEvent.objects.count()
    response = city.post(
        reverse("aid:console_programme_status", args=[programme.pk]),
        {"budget": "1500.123"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/console/aid/programmes/{programme.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == amount_error
    programme.refresh_from_db()
    assert programme.budget_fen == 500_000 and AuditEvent.objects.count() == before

    app = submit(programme)
    services.application_review(actor=personas["district_officer"], application=app)
    before = AuditEvent.objects.count()
    response = city.post(
        reverse("aid:console_application_act", args=[app.pk, "approve"]),
        {"amount": "lots"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/console/aid/applications/{app.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == amount_error
    assert _app().status == "reviewed" and AuditEvent.objects.count() == before


def test_the_approver_withdraws_an_approval_on_the_application_page(as_persona, approved):
    url = reverse("aid:console_application", args=[approved.pk])
    act = reverse("aid:console_application_act", args=[approved.pk, "withdraw_approval"])
    assert act in as_persona("city_officer").get(url).content.decode()
    assert act not in as_persona("district_officer").get(url).content.decode()
    city = as_persona("city_officer")
    response = city.post(act, {"note": ""}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["请说明撤销批准的原因。"]
    assert _app().status == "approved"
    response = city.post(act, {"note": "申请人已在别处领取"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert [str(m) for m in response.context["messages"]] == ["已撤销批准，金额已退回预算。"]
    assert _app().status == "rejected"
    assert "撤销批准" in city.get(url).content.decode()  # the timeline says what happened
