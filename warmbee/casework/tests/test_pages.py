"""The casework pages end to end: a courier asks about unpaid wages, the labour-relations
coordinator handles it with notes the district officer cannot read, the courier rates it."""

from __future__ import annotations

from django.urls import reverse

from warmbee.audit.models import AuditEvent
from warmbee.casework.models import CaseEntry, HelpRequest

WAGES = "网点拖欠我两个月工资共6000元，站长说月底再说。"
NOTE = "已电话联系网点负责人，对方承认欠薪（内部）"


def cases():
    return HelpRequest.objects.unscoped(reason="test")


def test_the_whole_story(as_persona, personas, desk):
    courier, provider = as_persona("courier"), as_persona("provider")
    assert "五师一室" in courier.get(reverse("casework:my_list")).content.decode()
    response = courier.post(
        reverse("casework:ask"),
        {
            "kind": "labour_relations",
            "description": WAGES,
            "urgency": "normal",
            "contact_by": "phone",
            "consent": "on",
        },
    )
    case = cases().get()
    assert response.status_code == 302 and response["Location"] == f"/help/{case.pk}/"
    page = courier.get(response["Location"]).content.decode()
    assert WAGES in page

    # The coordinator sees it in the queue, opens it (audited), notes and replies.
    assert case.number in provider.get(reverse("casework:queue")).content.decode()
    assert WAGES in provider.get(reverse("casework:case", args=[case.pk])).content.decode()
    for kind, body in (("note", NOTE), ("message", "您好，我已联系网点，本周内答复您。")):
        r = provider.post(
            reverse("casework:case_entry", args=[case.pk]), {"kind": kind, "body": body}
        )
        assert r.status_code == 302
    # The worker sees the message, not the note.
    page = courier.get(reverse("casework:my_case", args=[case.pk])).content.decode()
    assert "本周内答复您" in page and NOTE not in page

    # The district officer sees that it exists, never what it says.
    officer = as_persona("district_officer")
    for url in (reverse("casework:figures"), reverse("casework:case", args=[case.pk])):
        html = officer.get(url).content.decode()
        assert NOTE not in html and WAGES not in html and "本周内" not in html
    # The other district's officer does not even see it.
    assert (
        as_persona("other_district").get(reverse("casework:case", args=[case.pk])).status_code
        == 404
    )

    provider.post(reverse("casework:case_close", args=[case.pk]), {"outcome": "resolved"})
    r = courier.post(
        reverse("casework:my_rate", args=[case.pk]), {"rating": "5", "comment": "谢谢"}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome, case.rating) == ("closed", "resolved", 5)
    # Rated once: the form is gone, a second rating is a 409.
    assert (
        courier.post(reverse("casework:my_rate", args=[case.pk]), {"rating": "4"}).status_code
        == 409
    )


def test_bad_input_shows_the_field_error_and_writes_nothing(as_persona, desk):
    courier = as_persona("courier")
    before = AuditEvent.objects.count()
    response = courier.post(
        reverse("casework:ask"),
        {
            "kind": "labour_relations",
            "description": WAGES,
            "urgency": "normal",
            "contact_by": "phone",
        },
    )
    assert response.status_code == 200
    assert (
        "Without your consent" in response.content.decode() or "同意" in response.content.decode()
    )
    response = courier.post(reverse("casework:ask"), {"kind": "", "description": ""})
    assert response.status_code == 200 and cases().count() == 0
    assert AuditEvent.objects.count() == before


def test_crisis_words_show_the_hotlines_at_once(as_persona, desk):
    courier = as_persona("courier")
    response = courier.post(
        reverse("casework:ask"),
        {
            "kind": "health",
            "description": "压力太大了，活不下去了",
            "urgency": "normal",
            "contact_by": "phone",
            "consent": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert 'href="tel:12356"' in html and 'href="tel:120"' in html
    assert cases().get().urgency == "urgent"


def test_withdrawing_twice_is_a_conflict(as_persona, ask):
    case = ask()
    courier = as_persona("courier")
    assert courier.post(reverse("casework:my_withdraw", args=[case.pk])).status_code == 302
    assert courier.post(reverse("casework:my_withdraw", args=[case.pk])).status_code == 409


def test_host_logs_a_visitor_request(as_persona, desk, personas):
    host = as_persona("host")
    response = host.post(
        reverse("casework:log"),
        {
            "channel": "station",
            "contact_name": "赵六",
            "contact_phone": "13900002222",
            "region": "230602",
            "kind": "labour_relations",
            "description": WAGES,
            "urgency": "normal",
            "contact_by": "phone",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    case = cases().get()
    assert case.logged_by == personas["host"] and case.handled_by == personas["provider"]
    # The host logged it but cannot read it afterwards.
    assert host.get(reverse("casework:case", args=[case.pk])).status_code == 404


def test_queue_query_count_is_bounded(as_persona, ask, django_assert_max_num_queries):
    for _ in range(5):
        ask()
    provider = as_persona("provider")
    with django_assert_max_num_queries(20):
        assert provider.get(reverse("casework:queue")).status_code == 200
    assert CaseEntry.objects.unscoped(reason="test").count() == 10


def test_officer_puts_a_provider_on_a_desk_and_takes_them_off(as_persona, personas, desk):
    from warmbee.casework.models import DeskMember

    officer = as_persona("district_officer")
    page = officer.get(reverse("casework:desks")).content.decode()
    assert "主管人" in page  # the fixture's supervisor
    members = DeskMember.objects.unscoped(reason="test")
    DeskMember.objects.unscoped(reason="test").filter(user=personas["provider"]).delete()
    r = officer.post(
        reverse("casework:desk_member_add"),
        {"desk": str(desk.pk), "phone": personas["provider"].phone[3:], "is_supervisor": ""},
    )
    assert r.status_code == 302 and members.filter(user=personas["provider"]).exists()
    # A worker's account is not a provider: the error names the field, nothing is written.
    before = AuditEvent.objects.count()
    r = officer.post(
        reverse("casework:desk_member_add"),
        {"desk": str(desk.pk), "phone": personas["courier"].phone},
    )
    assert r.status_code == 200 and "不是本服务岗所在区域的服务专员" in r.content.decode()
    assert AuditEvent.objects.count() == before
    member = members.get(user=personas["provider"])
    assert officer.post(reverse("casework:desk_member_remove", args=[member.pk])).status_code == 302
    assert not members.filter(user=personas["provider"]).exists()
    assert AuditEvent.objects.filter(action="casework.desk_member_remove").count() == 1
    # The sibling district's officer cannot touch this desk.
    other = as_persona("other_district")
    sup = members.get(is_supervisor=True)
    assert other.post(reverse("casework:desk_member_remove", args=[sup.pk])).status_code == 404


def test_the_handler_reveals_the_number_to_call_audited(as_persona, personas, ask):
    case = ask()
    provider = as_persona("provider")
    page = provider.get(reverse("casework:case", args=[case.pk])).content.decode()
    assert personas["courier"].phone not in page  # masked by default
    response = provider.post(reverse("casework:case_reveal", args=[case.pk]))
    assert response.status_code == 200
    assert f'href="tel:{personas["courier"].phone}"' in response.content.decode()
    event = AuditEvent.objects.get(action="casework.reveal_phone")
    assert personas["courier"].phone[-8:] not in str(event.changes) + event.reason
    assert (
        as_persona("district_officer")
        .post(reverse("casework:case_reveal", args=[case.pk]))
        .status_code
        == 404
    )


def _staff_writes():
    """Audit rows of the case's writes (opening a case's page is audited too, and not counted)."""
    return AuditEvent.objects.exclude(action="casework.case_open").count()


def test_a_refused_referral_is_shown_on_its_field_and_writes_nothing(as_persona, ask):
    from warmbee.casework.models import Referral

    case = ask()
    provider = as_persona("provider")
    before = _staff_writes()
    # The service refuses "other" without a name (400): the case page again, the message on
    # the field, the case still open.
    response = provider.post(
        reverse("casework:case_refer", args=[case.pk]), {"target": "other", "consent": "on"}
    )
    assert response.status_code == 200
    assert response.context["refer_form"].errors == {"target_name": ["请填写转介机构的名称。"]}
    assert '<p class="error" role="alert">请填写转介机构的名称。</p>' in response.content.decode()
    case.refresh_from_db()
    assert case.is_open and not Referral.objects.unscoped(reason="test").exists()
    assert _staff_writes() == before
    # An invalid form never reaches the service.
    response = provider.post(reverse("casework:case_entry", args=[case.pk]), {"kind": "note"})
    assert response.status_code == 200 and "body" in response.context["entry_form"].errors
    assert _staff_writes() == before


def test_assigning_to_the_same_provider_is_shown_on_the_field(as_persona, personas, desk, ask):
    case = ask()
    personas["supervisor"] = desk.supervisor
    supervisor = as_persona("supervisor")
    url = reverse("casework:case_assign", args=[case.pk])
    before = _staff_writes()
    response = supervisor.post(url, {"provider": str(personas["provider"].pk)})
    assert response.status_code == 200
    assert response.context["assign_form"].errors == {"provider": ["该个案已由这位服务专员办理。"]}
    assert _staff_writes() == before
    response = supervisor.post(url, {"provider": str(desk.supervisor.pk)}, follow=True)
    assert response.redirect_chain == [(f"/console/cases/{case.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == ["个案已分派给主管人。"]
    case.refresh_from_db()
    assert case.handled_by == desk.supervisor
    assert AuditEvent.objects.filter(action="casework.assign").count() == 1


def test_a_rating_without_stars_is_shown_on_the_worker_page(as_persona, personas, ask):
    from warmbee.casework import services

    case = ask()
    services.case_close(actor=personas["provider"], case=case, outcome="resolved")
    before = _staff_writes()
    response = as_persona("courier").post(reverse("casework:my_rate", args=[case.pk]), {})
    assert response.status_code == 200 and "rating" in response.context["rate_form"].errors
    case.refresh_from_db()
    assert case.rating is None and _staff_writes() == before
